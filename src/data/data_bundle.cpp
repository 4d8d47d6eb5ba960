#include "soma/data/data_bundle.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/datasets/event_catalog.hpp"
#include "soma/data/datasets/event_dataset.hpp"
#include "soma/data/event_transforms.hpp"
#include "soma/data/frame_cache.hpp"
#include "soma/data/datasets/image_dataset.hpp"
#include "soma/data/datasets/mnist_files.hpp"
#include "soma/data/datasets/nmnist_files.hpp"
#include "soma/data/datasets/synthetic_dataset.hpp"
#include "soma/data/datasets/time_subset_dataset.hpp"
#include "soma/data/encoders/static_encoder.hpp"
#include "soma/data/frames.hpp"
#include "soma/data/images/digits_csv.hpp"
#include "soma/data/splits.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

std::string default_root(const std::string& dataset) {
  if (dataset == "mnist") return "datasets/mnist";
  if (dataset == "fashion_mnist") return "/usr/share/datasets/fashion-mnist";
  if (dataset == "digits") return "datasets/sklearn_digits";
  const EventDatasetInfo* info = find_event_dataset(dataset);
  return info ? info->default_root : "datasets";
}

// Everything an event split needs besides its catalog.
struct EventSplitSpec {
  FrameOptions frames;
  int64_t T = 0;
  EventTransforms filters, transforms;
  std::string cache_dir;  // "" = off
};

// One split of an event dataset: from the cache when possible, else decoded (and cached).
std::shared_ptr<const Dataset> event_split(const EventCatalog& cat, const EventSplitSpec& spec,
                                           bool train, std::string& note) {
  const std::string name = str_cat(cat.dataset, " ", cat.split);
  const bool random = train && !spec.transforms.empty();
  const std::string params =
      str_cat("T=", spec.T, "\nframes: ", spec.frames.describe(), "\nfilters: ",
              spec.filters.describe(), "\neval transforms: ", spec.transforms.describe());
  note = str_cat(" [split: ", cat.rule, "]");
  FrameCacheEntry entry;
  if (!spec.cache_dir.empty() && !random) {
    entry = frame_cache_entry(spec.cache_dir, cat, params);
    if (auto cached = load_frame_cache(entry, cat.num_classes)) {
      note += " [frames from cache]";
      return cached;
    }
  }
  auto set = std::make_shared<const EventSet>(load_event_catalog(cat));
  auto ds = std::make_shared<EventDataset>(set, spec.frames, spec.T, cat.num_classes, name,
                                           spec.filters, spec.transforms, train);
  if (!spec.cache_dir.empty()) {
    if (random) {
      note += " [not cached: random transforms]";
    } else {
      note += " [frames written to cache]";
      return write_frame_cache(entry, *ds, params, cat.dataset, cat.split);
    }
  }
  return ds;
}

std::vector<int> labels_of(const Dataset& d) {
  std::vector<int> l(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) l[static_cast<size_t>(i)] = d.label(i);
  return l;
}

// The first `limit` samples of a seeded class-balanced order (ascending), or all of `base`.
std::shared_ptr<const Dataset> limited(std::shared_ptr<const Dataset> base, int64_t limit,
                                       uint64_t seed) {
  if (limit <= 0 || limit >= base->size()) return base;
  auto order = class_balanced_order(labels_of(*base), seed);
  order.resize(static_cast<size_t>(limit));
  std::sort(order.begin(), order.end());
  return std::make_shared<SubsetDataset>(std::move(base), std::move(order));
}

std::string counts_str(const Dataset& d) {
  std::vector<int64_t> c(static_cast<size_t>(d.num_classes()), 0);
  for (int64_t i = 0; i < d.size(); ++i) ++c[static_cast<size_t>(d.label(i))];
  std::string s = "[";
  for (size_t k = 0; k < c.size(); ++k) s += str_cat(k ? ", " : "", c[k]);
  return s + "]";
}

}  // namespace

DataBundle make_data(const ConfigNode& data) { return make_data(data, DataLoadOptions{}); }

DataBundle make_data(const ConfigNode& data, const DataLoadOptions& load) {
  if (!data.is_map()) data.fail("expected the data section as a map (dataset:, time_steps:, ...)");
  data.require(data.has("dataset"), "dataset",
               "missing required key 'dataset' (choices: mnist, fashion_mnist, digits, nmnist, "
               "dvs_gesture, cifar10_dvs, mnist_dvs, ncaltech101, shd, ssc, synthetic)");
  const std::string dataset = data.get_choice(
      "dataset", {"mnist", "fashion_mnist", "digits", "nmnist", "dvs_gesture", "cifar10_dvs",
                  "mnist_dvs", "ncaltech101", "shd", "ssc", "synthetic"}, "mnist");
  const bool events = find_event_dataset(dataset) != nullptr;
  const bool audio = dataset == "shd" || dataset == "ssc";
  // synthetic: random inputs for `soma bench` timing only (datasets/synthetic_dataset.hpp).
  const bool synthetic = dataset == "synthetic";

  fs::path resolved;
  if (synthetic) {
    data.require(!data.has("root"), "root", "dataset: synthetic has no files");
  } else {
    const std::string root = data.get_string("root", default_root(dataset));
    resolved = fs::absolute(fs::path(root)).lexically_normal();
    data.require(fs::exists(resolved), data.has("root") ? "root" : "dataset", "data root '",
                 resolved.string(), "' does not exist (root: ", root,
                 ", relative to the current directory ", fs::current_path().string(), ")");
  }

  const int64_t T = data.get_int("time_steps");
  data.require(T > 0, "time_steps", "must be > 0, got ", T);
  const int64_t train_T = data.get_int("train_time_steps", 0);
  data.require(train_T >= 0 && train_T <= T, "train_time_steps", "must be in 0..time_steps (", T,
               "; 0 = all), got ", train_T);
  DataBundle b;
  b.batch_size = data.get_int("batch_size", 32);
  data.require(b.batch_size > 0, "batch_size", "must be > 0, got ", b.batch_size);
  const double val_fraction = data.get_double("validation_fraction", 0.0);
  data.require(val_fraction >= 0.0 && val_fraction < 1.0, "validation_fraction",
               "must be in [0, 1), got ", val_fraction);
  const int64_t split_seed = data.get_int("split_seed", 0);
  const int64_t train_limit = data.get_int("train_limit", 0);
  data.require(train_limit >= 0, "train_limit", "must be >= 0 (0 = all), got ", train_limit);
  const int64_t test_limit = data.get_int("test_limit", 0);
  data.require(test_limit >= 0, "test_limit", "must be >= 0 (0 = all), got ", test_limit);
  const int64_t prefetch = data.get_int("prefetch", 2);
  data.require(prefetch >= 0 && prefetch <= 64, "prefetch", "must be in 0..64, got ", prefetch);
  b.prefetch = static_cast<int>(prefetch);

  StaticEncoding enc;
  EventSplitSpec spec;
  spec.T = T;
  CatalogOptions cat_opt;
  SyntheticOptions synth;
  if (synthetic) {
    data.require(!data.has("encoding") && !data.has("frames"), data.has("encoding") ? "encoding" : "frames",
                 "dataset: synthetic generates its input itself (keys shape, density, pattern)");
    synth = parse_synthetic_options(data, T, b.batch_size);
  } else if (events) {
    data.require(!data.has("encoding"), "encoding", "encoding applies to static image datasets ",
                 "(mnist, fashion_mnist, digits); ", dataset, " is an event dataset: use frames");
    if (auto f = data.find("frames")) spec.frames = parse_frame_options(*f);
    if (auto t = data.find("transforms")) spec.transforms = EventTransforms::parse(*t, false);
    if (auto t = data.find("filters")) spec.filters = EventTransforms::parse(*t, true);
    spec.cache_dir = data.get_string("cache", "");
    if (!load.cache_dir.empty()) spec.cache_dir = load.cache_dir;
    if (dataset == "mnist_dvs") {
      cat_opt.mnist_dvs_scale = data.get_int("scale", 4);
      data.require(cat_opt.mnist_dvs_scale == 4 || cat_opt.mnist_dvs_scale == 8 ||
                       cat_opt.mnist_dvs_scale == 16, "scale", "must be 4, 8 or 16, got ",
                   cat_opt.mnist_dvs_scale);
    }
    if (audio) {
      // 700 channels on a 700 x 1 sensor, one polarity: samples are [T, 700 / channel_pool].
      const int64_t pool = data.get_int("channel_pool", 1);
      data.require(pool >= 1, "channel_pool", "must be an integer >= 1, got ", pool);
      data.require(spec.frames.downsample == 1 && spec.frames.size_h == 0, "frames",
                   dataset, " pools channels with data.channel_pool, not frames.downsample/size");
      spec.frames.downsample = pool;
      spec.frames.merge_polarity = true;
    }
  } else {
    for (const char* k : {"frames", "transforms", "filters", "cache"})
      data.require(!data.has(k), k, k, " applies to event datasets; ", dataset,
                   " is a static image dataset: use encoding");
    if (auto e = data.find("encoding")) enc = parse_static_encoding(*e);
  }
  data.ensure_all_used();

  // Load the files; file problems are IoErrors naming the files, plus this context.
  std::shared_ptr<const Dataset> train_pool, test;
  int num_classes = synthetic ? synth.classes : 10;
  std::string train_note, test_note;
  try {
    if (synthetic) {
      train_pool = std::make_shared<SyntheticDataset>(synth);
      SyntheticOptions test_opt = synth;
      test_opt.seed = synth.seed + 1;
      test = std::make_shared<SyntheticDataset>(test_opt);
    } else if (dataset == "mnist" || dataset == "fashion_mnist") {
      const std::string name = dataset == "mnist" ? "MNIST" : "Fashion-MNIST";
      auto tr = std::make_shared<const ImageSet>(read_mnist_split(resolved.string(), true));
      auto te = std::make_shared<const ImageSet>(read_mnist_split(resolved.string(), false));
      train_pool = std::make_shared<ImageDataset>(tr, enc, T, num_classes, name + " train");
      test = std::make_shared<ImageDataset>(te, enc, T, num_classes, name + " test");
    } else if (dataset == "digits") {
      const fs::path file =
          fs::is_directory(resolved) ? resolved / "digits.csv.gz" : resolved;
      auto all = std::make_shared<const ImageSet>(read_digits_csv(file.string()));
      auto full = std::make_shared<ImageDataset>(all, enc, T, num_classes, "sklearn digits");
      SOMA_CHECK_AS(IoError, all->count > kDigitsTestCount, file.string(), ": ", all->count,
                    " rows, expected 1797");
      auto split = stratified_split(all->labels, kDigitsTestCount, kDigitsSplitSeed);
      train_pool = std::make_shared<SubsetDataset>(full, std::move(split.kept));
      test = std::make_shared<SubsetDataset>(full, std::move(split.held));
    } else {
      const EventCatalog tr = list_event_split(dataset, resolved.string(), true, cat_opt);
      const EventCatalog te = list_event_split(dataset, resolved.string(), false, cat_opt);
      num_classes = tr.num_classes;
      SOMA_CHECK_AS(IoError, !tr.entries.empty() && !te.entries.empty(), resolved.string(), ": ",
                    tr.entries.size(), " training and ", te.entries.size(),
                    " test recordings found; both splits need at least one");
      if (!load.train || !load.test) {
        // `soma data frames --split`: build the requested split only.
        if (load.train) b.train = event_split(tr, spec, true, train_note);
        if (load.test) b.test = event_split(te, spec, false, test_note);
        b.num_classes = num_classes;
        b.sample_shape = (b.train ? b.train : b.test)->sample_shape();
        b.description = str_cat("data: ", dataset, " from ", resolved.string(), ", sample ",
                                b.sample_shape.str(), load.train ? "\n  train " : "\n  test ",
                                (b.train ? b.train : b.test)->size(), ": ",
                                (b.train ? b.train : b.test)->describe(),
                                load.train ? train_note : test_note);
        return b;
      }
      train_pool = event_split(tr, spec, true, train_note);
      test = event_split(te, spec, false, test_note);
    }
  } catch (Error& e) {
    e.add_context(str_cat(data.where(), ": while loading dataset '", dataset, "' from ",
                          resolved.string()));
    throw;
  }

  train_pool = limited(train_pool, train_limit, static_cast<uint64_t>(split_seed));
  b.test = limited(test, test_limit, static_cast<uint64_t>(split_seed));
  if (val_fraction > 0.0) {
    const auto held =
        static_cast<int64_t>(std::llround(val_fraction * static_cast<double>(train_pool->size())));
    auto split = stratified_split(labels_of(*train_pool), held, static_cast<uint64_t>(split_seed));
    b.val = std::make_shared<SubsetDataset>(train_pool, std::move(split.held));
    b.train = std::make_shared<SubsetDataset>(train_pool, std::move(split.kept));
  } else {
    b.train = train_pool;
  }
  if (train_T > 0 && train_T < T) b.train = std::make_shared<TimeSubsetDataset>(b.train, train_T);
  b.sample_shape = b.train->sample_shape();
  b.num_classes = num_classes;
  b.description = str_cat("data: ", dataset, synthetic ? "" : " from " + resolved.string(), ", sample ",
                          b.sample_shape.str(), ", batch ", b.batch_size, "\n  train ",
                          b.train->size(), " ", counts_str(*b.train), ": ", b.train->describe(),
                          train_note);
  if (b.val)
    b.description += str_cat("\n  val ", b.val->size(), " ", counts_str(*b.val), " (fraction ",
                             val_fraction, ", split_seed ", split_seed, ")");
  b.description +=
      str_cat("\n  test ", b.test->size(), " ", counts_str(*b.test), ": ", b.test->describe(),
              test_note);
  return b;
}

}  // namespace soma
