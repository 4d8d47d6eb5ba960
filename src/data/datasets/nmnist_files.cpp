#include "soma/data/datasets/nmnist_files.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "soma/core/error.hpp"
#include "soma/data/datasets/event_catalog.hpp"
#include "soma/data/readers/event_reader.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

// The label list of the SLAYER layout for a split, or "" if there is none.
std::string find_list(const fs::path& root, bool train) {
  const std::string exact = train ? "train1K.txt" : "test100.txt";
  if (fs::is_regular_file(root / exact)) return (root / exact).string();
  const std::string prefix = train ? "train" : "test";
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind(prefix, 0) == 0 && e.path().extension() == ".txt")
      found.push_back(e.path().string());
  }
  SOMA_CHECK_AS(IoError, found.size() <= 1, root.string(), ": several ", prefix,
                "*.txt label lists; expected one");
  return found.empty() ? "" : found[0];
}

void read_slayer_list(const fs::path& root, const std::string& list, EventCatalog& set,
                      std::vector<std::string>* missing) {
  std::ifstream in(list, std::ios::binary);
  SOMA_CHECK_AS(IoError, in.good(), list, ": cannot open for reading");
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;  // header "#sample #class"
    const char* p = line.data();
    const char* end = p + line.size();
    int64_t id = 0;
    int label = 0;
    auto r1 = std::from_chars(p, end, id);
    p = r1.ptr;
    while (p < end && (*p == '\t' || *p == ' ')) ++p;
    auto r2 = std::from_chars(p, end, label);
    SOMA_CHECK_AS(IoError, r1.ec == std::errc() && r2.ec == std::errc() && r2.ptr == end, list,
                  ":", line_no, ": expected '<id>\\t<class>', got '", line, "'");
    fs::path file = root / (std::to_string(id) + ".bs2");
    if (!fs::is_regular_file(file)) file = root / (std::to_string(id) + ".bin");
    if (missing && !fs::is_regular_file(file)) {
      missing->push_back(str_cat((root / (std::to_string(id) + ".bs2")).string(), " (", list, ":",
                                 line_no, ")"));
      continue;
    }
    SOMA_CHECK_AS(IoError, fs::is_regular_file(file), list, ":", line_no, ": sample ", id,
                  " has neither ", (root / (std::to_string(id) + ".bs2")).string(), " nor .bin");
    set.entries.push_back({file.string(), label});
  }
  set.source = list;
}

void read_original_tree(const fs::path& dir, EventCatalog& set) {
  SOMA_CHECK_AS(IoError, fs::is_directory(dir), dir.parent_path().string(),
                ": found neither a SLAYER label list (train1K.txt / test100.txt) nor the folder ",
                dir.string(), " of the original N-MNIST layout");
  for (int digit = 0; digit < 10; ++digit) {
    const fs::path sub = dir / std::to_string(digit);
    if (!fs::is_directory(sub)) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(sub))
      if (e.is_regular_file() && e.path().extension() == ".bin") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (auto& f : files) set.entries.push_back({std::move(f), digit});
  }
  SOMA_CHECK_AS(IoError, !set.entries.empty(), dir.string(), ": no <digit>/*.bin files");
  set.source = dir.string();
}

}  // namespace

EventCatalog list_nmnist_split(const std::string& root_str, bool train,
                               std::vector<std::string>* missing) {
  const fs::path root(root_str);
  SOMA_CHECK_AS(IoError, fs::is_directory(root), root_str, ": not a folder");
  EventCatalog set;
  set.dataset = "nmnist";
  set.split = train ? "train" : "test";
  set.num_classes = 10;
  set.width = kNmnistSize;
  set.height = kNmnistSize;
  set.read.format = EventFormat::kAtisBin;
  set.read.width = kNmnistSize;
  set.read.height = kNmnistSize;
  const std::string list = find_list(root, train);
  if (!list.empty()) {
    read_slayer_list(root, list, set, missing);
    set.rule = "the official split (label list " + list + ")";
  } else {
    read_original_tree(root / (train ? "Train" : "Test"), set);
    set.rule = std::string("the official split (folder ") + (train ? "Train" : "Test") + ")";
  }
  return set;
}

EventSet read_nmnist_split(const std::string& root, bool train) {
  return load_event_catalog(list_nmnist_split(root, train));
}

}  // namespace soma
