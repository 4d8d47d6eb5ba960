#include "soma/data/data_bundle.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/datasets/event_dataset.hpp"
#include "soma/data/datasets/image_dataset.hpp"
#include "soma/data/datasets/mnist_files.hpp"
#include "soma/data/datasets/nmnist_files.hpp"
#include "soma/data/datasets/synthetic_dataset.hpp"
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
  return "datasets/nmnist_small";
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

DataBundle make_data(const ConfigNode& data) {
  if (!data.is_map()) data.fail("expected the data section as a map (dataset:, time_steps:, ...)");
  data.require(data.has("dataset"), "dataset",
               "missing required key 'dataset' (choices: mnist, fashion_mnist, digits, nmnist, synthetic)");
  const std::string dataset =
      data.get_choice("dataset", {"mnist", "fashion_mnist", "digits", "nmnist", "synthetic"}, "mnist");
  const bool events = dataset == "nmnist";
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
  FrameOptions frames;
  SyntheticOptions synth;
  if (synthetic) {
    data.require(!data.has("encoding") && !data.has("frames"), data.has("encoding") ? "encoding" : "frames",
                 "dataset: synthetic generates its input itself (keys shape, density, pattern)");
    synth = parse_synthetic_options(data, T, b.batch_size);
  } else if (events) {
    data.require(!data.has("encoding"), "encoding", "encoding applies to static image datasets ",
                 "(mnist, fashion_mnist, digits); ", dataset, " is an event dataset: use frames");
    if (auto f = data.find("frames")) frames = parse_frame_options(*f);
  } else {
    data.require(!data.has("frames"), "frames", "frames applies to event datasets (nmnist); ",
                 dataset, " is a static image dataset: use encoding");
    if (auto e = data.find("encoding")) enc = parse_static_encoding(*e);
  }
  data.ensure_all_used();

  // Load the files; file problems are IoErrors naming the files, plus this context.
  std::shared_ptr<const Dataset> train_pool, test;
  const int num_classes = synthetic ? synth.classes : 10;
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
      auto tr = std::make_shared<const EventSet>(read_nmnist_split(resolved.string(), true));
      auto te = std::make_shared<const EventSet>(read_nmnist_split(resolved.string(), false));
      train_pool = std::make_shared<EventDataset>(tr, frames, T, num_classes, "N-MNIST train");
      test = std::make_shared<EventDataset>(te, frames, T, num_classes, "N-MNIST test");
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
  b.sample_shape = b.train->sample_shape();
  b.num_classes = num_classes;
  b.description = str_cat("data: ", dataset, synthetic ? "" : " from " + resolved.string(), ", sample ",
                          b.sample_shape.str(), ", batch ", b.batch_size, "\n  train ",
                          b.train->size(), " ", counts_str(*b.train), ": ", b.train->describe());
  if (b.val)
    b.description += str_cat("\n  val ", b.val->size(), " ", counts_str(*b.val), " (fraction ",
                             val_fraction, ", split_seed ", split_seed, ")");
  b.description +=
      str_cat("\n  test ", b.test->size(), " ", counts_str(*b.test), ": ", b.test->describe());
  return b;
}

}  // namespace soma
