#include "soma/data/datasets/dataset_verify.hpp"

#include <filesystem>
#include <fstream>
#include <map>

#include "soma/core/error.hpp"
#include "soma/data/datasets/event_catalog.hpp"
#include "soma/io/sha256.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

// Checks the entries of a sha256sum-style manifest that lie under `root`.
void check_manifest(const fs::path& root, DatasetCheck& out) {
  fs::path manifest = root / "MANIFEST.sha256";
  std::string prefix;  // path of root relative to the manifest's folder
  if (!fs::is_regular_file(manifest)) {
    manifest = root.parent_path() / "MANIFEST.sha256";
    prefix = root.filename().string() + "/";
    if (!fs::is_regular_file(manifest)) {
      out.info.push_back("no MANIFEST.sha256 in " + root.string() + " or its parent: checksums not checked");
      return;
    }
  }
  std::ifstream in(manifest);
  std::string line;
  int64_t line_no = 0, listed = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < 66 || line[64] != ' ') continue;
    std::string rel = line.substr(66 - (line[65] == ' ' || line[65] == '*' ? 0 : 1));
    if (rel.rfind("./", 0) == 0) rel = rel.substr(2);
    if (!prefix.empty()) {
      if (rel.rfind(prefix, 0) != 0) continue;
      rel = rel.substr(prefix.size());
    }
    ++listed;
    const fs::path file = root / rel;
    if (!fs::is_regular_file(file)) {
      out.problems.push_back(str_cat("missing ", file.string(), " (", manifest.string(), ":", line_no, ")"));
      ++out.checksums_bad;
      continue;
    }
    if (sha256_file_hex(file.string()) == line.substr(0, 64)) {
      ++out.checksums_ok;
    } else {
      out.problems.push_back(str_cat("checksum mismatch: ", file.string(), " (", manifest.string(),
                                     ":", line_no, ")"));
      ++out.checksums_bad;
    }
  }
  out.info.push_back(str_cat("checksums: ", out.checksums_ok, " of ", listed, " files match ",
                             manifest.string()));
}

}  // namespace

std::string detect_event_dataset(const std::string& root_str) {
  const fs::path root(root_str);
  if (fs::is_regular_file(root / "trials_to_train.txt")) return "dvs_gesture";
  if (fs::is_regular_file(root / "shd_train.h5")) return "shd";
  if (fs::is_regular_file(root / "ssc_train.h5")) return "ssc";
  if (fs::is_regular_file(root / "train1K.txt") || fs::is_directory(root / "Train")) return "nmnist";
  for (int d = 0; d < 10; ++d)
    if (fs::is_directory(root / ("grabbed_data" + std::to_string(d)))) return "mnist_dvs";
  if (fs::is_directory(root / "airplane") && fs::is_directory(root / "truck")) return "cifar10_dvs";
  if (fs::is_directory(root / "BACKGROUND_Google") || fs::is_directory(root / "Faces_easy"))
    return "ncaltech101";
  return "";
}

DatasetCheck verify_event_dataset(const std::string& dataset, const std::string& root, bool decode,
                                  int64_t mnist_dvs_scale) {
  DatasetCheck out;
  out.dataset = dataset;
  out.root = root;
  if (!fs::is_directory(root)) {
    out.problems.push_back(root + ": the dataset folder does not exist");
    return out;
  }
  std::vector<std::string> missing;
  CatalogOptions opt;
  opt.mnist_dvs_scale = mnist_dvs_scale;
  opt.missing = &missing;
  for (bool train : {true, false}) {
    const char* split = train ? "train" : "test";
    try {
      const EventCatalog cat = list_event_split(dataset, root, train, opt);
      std::map<int, int64_t> per_class;
      for (const auto& e : cat.entries) ++per_class[e.label];
      std::string counts;
      for (const auto& [k, n] : per_class) counts += str_cat(counts.empty() ? "" : ", ", k, ":", n);
      out.info.push_back(str_cat(split, ": ", cat.entries.size(), " samples from ",
                                 cat.distinct_files().size(), " files; per class {", counts,
                                 "}; split: ", cat.rule));
      (train ? out.train_samples : out.test_samples) = static_cast<int64_t>(cat.entries.size());
      if (cat.entries.empty()) out.problems.push_back(str_cat(split, ": no samples found"));
      if (decode && !cat.entries.empty()) {
        try {
          const EventSet set = load_event_catalog(cat);
          int64_t events = 0;
          for (const auto& s : set.samples) events += static_cast<int64_t>(s.size());
          out.info.push_back(str_cat(split, ": decoded ", set.samples.size(), " samples, ", events,
                                     " events"));
        } catch (const Error& e) {
          out.problems.push_back(str_cat(split, ": decoding failed: ", e.what()));
        }
      }
    } catch (const Error& e) {
      out.problems.push_back(str_cat(split, ": ", e.what()));
    }
  }
  for (const auto& m : missing) out.problems.push_back("missing " + m);
  check_manifest(fs::path(root), out);
  return out;
}

}  // namespace soma
