#include "soma/data/datasets/event_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>

#include "soma/core/error.hpp"
#include "soma/core/rng.hpp"
#include "soma/data/datasets/nmnist_files.hpp"
#include "soma/data/readers/gesture_labels.hpp"
#include "soma/data/readers/h5_events.hpp"
#include "soma/io/hdf5.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

const char* const kCifarClasses[] = {"airplane", "automobile", "bird", "cat", "deer",
                                     "dog", "frog", "horse", "ship", "truck"};

std::vector<std::string> files_with(const fs::path& dir, const std::vector<std::string>& exts) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() &&
        std::find(exts.begin(), exts.end(), e.path().extension().string()) != exts.end())
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> subfolders(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void need_dir(const fs::path& p, const std::string& what) {
  SOMA_CHECK_AS(IoError, fs::is_directory(p), p.string(), ": missing folder (", what, ")");
}

EventCatalog base(const std::string& dataset, bool train, const std::string& root) {
  EventCatalog c;
  c.dataset = dataset;
  c.split = train ? "train" : "test";
  c.source = root;
  const EventDatasetInfo* info = find_event_dataset(dataset);
  c.num_classes = info ? info->num_classes : 0;
  return c;
}

// Per class: the first round(fraction * n) files (in the given order) train, the rest test.
void first_fraction(EventCatalog& c, const std::vector<std::vector<std::string>>& per_class,
                    double fraction, bool train) {
  for (size_t k = 0; k < per_class.size(); ++k) {
    const auto& files = per_class[k];
    const auto n_train = static_cast<size_t>(std::llround(fraction * static_cast<double>(files.size())));
    const size_t lo = train ? 0 : n_train, hi = train ? n_train : files.size();
    for (size_t i = lo; i < hi; ++i) c.entries.push_back({files[i], static_cast<int>(k)});
  }
}

EventCatalog list_gesture(const fs::path& root, bool train, std::vector<std::string>* missing) {
  EventCatalog c = base("dvs_gesture", train, root.string());
  c.width = c.height = 128;
  c.read.format = EventFormat::kAedat31;
  c.read.width = c.read.height = 128;
  const fs::path list = root / (train ? "trials_to_train.txt" : "trials_to_test.txt");
  std::ifstream in(list, std::ios::binary);
  SOMA_CHECK_AS(IoError, in.good(), list.string(), ": missing trial list (DVS Gesture layout: ",
                "trials_to_train.txt, trials_to_test.txt, userXX_<lighting>.aedat, ",
                "userXX_<lighting>_labels.csv)");
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty()) continue;
    const fs::path trial = root / line;
    const fs::path csv = root / (trial.stem().string() + "_labels.csv");
    if (missing && (!fs::is_regular_file(trial) || !fs::is_regular_file(csv))) {
      for (const auto& f : {trial, csv})
        if (!fs::is_regular_file(f))
          missing->push_back(str_cat(f.string(), " (", list.string(), ":", line_no, ")"));
      continue;
    }
    SOMA_CHECK_AS(IoError, fs::is_regular_file(trial), list.string(), ":", line_no, ": trial ",
                  trial.string(), " is missing");
    SOMA_CHECK_AS(IoError, fs::is_regular_file(csv), list.string(), ":", line_no, ": label file ",
                  csv.string(), " is missing");
    for (const LabelledSegment& s : read_gesture_labels(csv.string())) {
      SOMA_CHECK_AS(IoError, s.label >= 1 && s.label <= 11, csv.string(), ": class ", s.label,
                    ", expected 1..11");
      c.entries.push_back({trial.string(), s.label - 1, s.t_start, s.t_end});
    }
  }
  c.rule = str_cat("the standard user split (", list.string(), "), one sample per label row");
  return c;
}

EventCatalog list_cifar10_dvs(const fs::path& root, bool train) {
  EventCatalog c = base("cifar10_dvs", train, root.string());
  c.width = c.height = 128;
  c.read.format = EventFormat::kAedat2;
  need_dir(root, "cifar10_dvs: <class>/*.aedat");
  std::vector<std::string> classes;
  bool standard = true;
  for (const char* k : kCifarClasses) standard &= fs::is_directory(root / k);
  if (standard) classes.assign(std::begin(kCifarClasses), std::end(kCifarClasses));
  else classes = subfolders(root);
  SOMA_CHECK_AS(IoError, classes.size() == 10, root.string(), ": expected 10 class folders, found ",
                classes.size());
  std::vector<std::vector<std::string>> per_class;
  for (const auto& k : classes) per_class.push_back(files_with(root / k, {".aedat"}));
  first_fraction(c, per_class, 0.9, train);
  c.rule = "per class the first 90% of the files (sorted by name) train, the last 10% test";
  return c;
}

// Digit and scale from "mnist_<d>_scale<ss>_<nnnn>.aedat"; false if the name does not match.
bool parse_mnist_dvs_name(const std::string& name, int& digit, int64_t& scale) {
  int d = -1, sc = 0, n = 0, len = 0;
  if (std::sscanf(name.c_str(), "mnist_%d_scale%d_%d.aedat%n", &d, &sc, &n, &len) != 3) return false;
  if (static_cast<size_t>(len) != name.size() || d < 0 || d > 9) return false;
  digit = d;
  scale = sc;
  return true;
}

EventCatalog list_mnist_dvs(const fs::path& root, bool train, int64_t scale) {
  EventCatalog c = base("mnist_dvs", train, root.string());
  c.width = c.height = 128;
  c.read.format = EventFormat::kAedat2;
  need_dir(root, "mnist_dvs: grabbed_data<d>/scale<s>/*.aedat");
  std::vector<std::vector<std::string>> per_class(10);
  int found = 0;
  for (int d = 0; d < 10; ++d) {
    const fs::path dir = root / ("grabbed_data" + std::to_string(d)) / ("scale" + std::to_string(scale));
    if (!fs::is_directory(dir)) continue;
    ++found;
    per_class[static_cast<size_t>(d)] = files_with(dir, {".aedat"});
  }
  std::string layout = "grabbed_data<d>/scale" + std::to_string(scale);
  if (found == 0) {
    // Flat folder of mnist_<d>_scale<ss>_<nnnn>.aedat files (e.g. datasets/mnist_dvs_digit0).
    for (const auto& f : files_with(root, {".aedat"})) {
      int d = 0;
      int64_t sc = 0;
      if (parse_mnist_dvs_name(fs::path(f).filename().string(), d, sc) && sc == scale) {
        per_class[static_cast<size_t>(d)].push_back(f);
        ++found;
      }
    }
    layout = "flat mnist_<d>_scale" + std::to_string(scale) + "_*.aedat";
  }
  SOMA_CHECK_AS(IoError, found > 0, root.string(), ": neither grabbed_data<d>/scale", scale,
                " folders (MNIST-DVS layout) nor mnist_<d>_scale", scale < 10 ? "0" : "", scale,
                "_*.aedat files");
  first_fraction(c, per_class, 0.8, train);
  c.rule = str_cat(layout, ", per digit the first 80% of the files (sorted by name) train, ",
                   "the last 20% test");
  return c;
}

EventCatalog list_ncaltech(const fs::path& root, bool train) {
  EventCatalog c = base("ncaltech101", train, root.string());
  c.width = 240;
  c.height = 180;
  c.read.format = EventFormat::kAtisBin;
  c.read.width = 240;
  c.read.height = 180;
  need_dir(root, "ncaltech101: <class>/*.bin");
  const auto classes = subfolders(root);
  SOMA_CHECK_AS(IoError, !classes.empty(), root.string(), ": no class folders");
  c.num_classes = static_cast<int>(classes.size());
  for (size_t k = 0; k < classes.size(); ++k) {
    auto files = files_with(root / classes[k], {".bin"});
    Rng rng(kNcaltechSplitSeed, k);
    for (size_t i = files.size(); i > 1; --i) std::swap(files[i - 1], files[rng.below(i)]);
    const auto held = static_cast<size_t>(std::llround(0.2 * static_cast<double>(files.size())));
    std::vector<std::string> part(train ? files.begin() + static_cast<std::ptrdiff_t>(held) : files.begin(),
                                  train ? files.end() : files.begin() + static_cast<std::ptrdiff_t>(held));
    std::sort(part.begin(), part.end());
    for (auto& f : part) c.entries.push_back({std::move(f), static_cast<int>(k)});
  }
  c.rule = str_cat("per class a shuffle with Rng(", kNcaltechSplitSeed,
                   ", class) holds out round(0.2 n) files for test");
  return c;
}

EventCatalog list_shd(const std::string& name, const fs::path& root, bool train) {
  EventCatalog c = base(name, train, root.string());
  const fs::path file = root / (name + (train ? "_train.h5" : "_test.h5"));
  SOMA_CHECK_AS(IoError, fs::is_regular_file(file), file.string(), ": missing (", name,
                " layout: ", name, "_train.h5, ", name, "_test.h5)");
  const auto labels = H5File::open_read(file.string()).read_array<int64_t>("labels");
  const auto n = static_cast<int64_t>(labels.size());
  for (int64_t i = 0; i < n; ++i) {
    EventEntry e;
    e.file = file.string();
    e.sample = i;
    e.label = static_cast<int>(labels[static_cast<size_t>(i)]);
    c.entries.push_back(e);
  }
  c.width = kShdChannels;
  c.height = 1;
  c.read.format = EventFormat::kShdH5;
  c.rule = str_cat("the files' own split (", file.filename().string(), ")");
  return c;
}

}  // namespace

const std::vector<EventDatasetInfo>& event_datasets() {
  static const std::vector<EventDatasetInfo> kAll = {
      {"nmnist", 10, "datasets/nmnist_small"},
      {"dvs_gesture", 11, "datasets/dvs_gesture"},
      {"cifar10_dvs", 10, "datasets/cifar10_dvs"},
      {"mnist_dvs", 10, "datasets/mnist_dvs"},
      {"ncaltech101", 101, "datasets/ncaltech101"},
      {"shd", 20, "datasets/shd"},
      {"ssc", 35, "datasets/ssc"},
  };
  return kAll;
}

const EventDatasetInfo* find_event_dataset(const std::string& name) {
  for (const auto& d : event_datasets())
    if (name == d.name) return &d;
  return nullptr;
}

std::vector<std::string> EventCatalog::distinct_files() const {
  std::vector<std::string> out;
  std::map<std::string, bool> seen;
  for (const auto& e : entries)
    if (!seen[e.file]) {
      seen[e.file] = true;
      out.push_back(e.file);
    }
  return out;
}

EventCatalog list_event_split(const std::string& dataset, const std::string& root_str, bool train,
                              const CatalogOptions& opt) {
  const fs::path root(root_str);
  SOMA_CHECK_AS(IoError, fs::exists(root), root_str, ": dataset root does not exist");
  if (dataset == "nmnist") return list_nmnist_split(root_str, train, opt.missing);
  if (dataset == "dvs_gesture") return list_gesture(root, train, opt.missing);
  if (dataset == "cifar10_dvs") return list_cifar10_dvs(root, train);
  if (dataset == "mnist_dvs") return list_mnist_dvs(root, train, opt.mnist_dvs_scale);
  if (dataset == "ncaltech101") return list_ncaltech(root, train);
  if (dataset == "shd" || dataset == "ssc") return list_shd(dataset, root, train);
  throw ConfigError(str_cat("unknown event dataset '", dataset, "'"));
}

EventSet load_event_catalog(const EventCatalog& cat) {
  EventSet set;
  set.width = cat.width;
  set.height = cat.height;
  set.source = cat.source;
  const size_t n = cat.entries.size();
  set.samples.resize(n);
  set.labels.resize(n);
  set.files.resize(n);
  const auto files = cat.distinct_files();
  std::map<std::string, size_t> index;
  for (size_t f = 0; f < files.size(); ++f) index[files[f]] = f;
  std::vector<std::vector<size_t>> users(files.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& e = cat.entries[i];
    users[index[e.file]].push_back(i);
    set.labels[i] = e.label;
    set.files[i] = e.sample >= 0 ? str_cat(e.file, "#", e.sample)
                   : e.t_start != std::numeric_limits<int64_t>::min()
                       ? str_cat(e.file, "[", e.t_start, ",", e.t_end, ")")
                       : e.file;
  }
  const auto nf = static_cast<int64_t>(files.size());
  std::vector<std::exception_ptr> errors(files.size());
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t f = 0; f < nf; ++f) {
    const auto fu = static_cast<size_t>(f);
    try {
      if (cat.read.format == EventFormat::kShdH5) {
        ShdFile shd = read_shd_file(files[fu]);
        for (size_t i : users[fu]) {
          const auto s = static_cast<size_t>(cat.entries[i].sample);
          SOMA_CHECK_AS(IoError, s < shd.samples.size(), files[fu], ": sample ", s, " of ",
                        shd.samples.size());
          set.samples[i] = std::move(shd.samples[s]);
          set.labels[i] = shd.labels[s];
        }
        continue;
      }
      Events all = read_events(files[fu], cat.read);
      for (size_t i : users[fu]) {
        const auto& e = cat.entries[i];
        if (e.t_start == std::numeric_limits<int64_t>::min() &&
            e.t_end == std::numeric_limits<int64_t>::max())
          set.samples[i] = users[fu].size() == 1 ? std::move(all) : all;
        else
          set.samples[i] = slice_time(all, e.t_start, e.t_end);
      }
    } catch (...) {
      errors[fu] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return set;
}

std::string catalog_identity(const EventCatalog& cat) {
  std::string s = str_cat(cat.dataset, " ", cat.split, " ", cat.width, "x", cat.height, "\n");
  for (const auto& f : cat.distinct_files()) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    const auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
    s += str_cat(f, " ", size, " ", mtime, "\n");
  }
  for (const auto& e : cat.entries)
    s += str_cat(e.label, " ", e.t_start, " ", e.t_end, " ", e.sample, "\n");
  return s;
}

}  // namespace soma
