#include "soma/data/frame_cache.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <thread>

#include "soma/core/error.hpp"
#include "soma/data/datasets/event_catalog.hpp"
#include "soma/io/hdf5.hpp"
#include "soma/io/sha256.hpp"

namespace soma {

namespace fs = std::filesystem;

FrameTensorDataset::FrameTensorDataset(Tensor frames, std::vector<int> labels, int num_classes,
                                       std::string name)
    : frames_(std::move(frames)), labels_(std::move(labels)), num_classes_(num_classes),
      name_(std::move(name)) {
  const auto d = frames_.shape().to_vector();
  SOMA_CHECK(!d.empty() && d[0] == static_cast<int64_t>(labels_.size()), name_, ": ",
             labels_.size(), " labels for frames ", frames_.shape().str());
  sample_ = Shape(std::vector<int64_t>(d.begin() + 1, d.end()));
}

void FrameTensorDataset::get(int64_t i, float* out, Rng&) const {
  const int64_t n = sample_.numel();
  std::memcpy(out, frames_.data() + i * n, sizeof(float) * static_cast<size_t>(n));
}

FrameCacheEntry frame_cache_entry(const std::string& dir, const EventCatalog& cat,
                                  const std::string& params) {
  Sha256 h;
  h.update(catalog_identity(cat));
  h.update("\n--params--\n");
  h.update(params);
  FrameCacheEntry e;
  e.key = h.hex_digest();
  e.path = (fs::path(dir) / str_cat(cat.dataset, "_", cat.split, "_", e.key.substr(0, 16), ".h5")).string();
  return e;
}

std::shared_ptr<const Dataset> load_frame_cache(const FrameCacheEntry& e, int num_classes) {
  if (!fs::is_regular_file(e.path)) return nullptr;
  H5File f = H5File::open_read(e.path);
  if (!f.has_attr("/", "key") || f.attr_string("/", "key") != e.key) return nullptr;
  Tensor frames = f.read_tensor("frames");
  const auto l32 = f.read_array<int32_t>("labels");
  std::vector<int> labels(l32.begin(), l32.end());
  return std::make_shared<FrameTensorDataset>(std::move(frames), std::move(labels), num_classes,
                                              str_cat("frame cache ", e.path));
}

std::shared_ptr<const Dataset> write_frame_cache(const FrameCacheEntry& e, const Dataset& d,
                                                 const std::string& params,
                                                 const std::string& dataset,
                                                 const std::string& split) {
  const Shape s = d.sample_shape();
  std::vector<int64_t> dims{d.size()};
  for (int64_t v : s.to_vector()) dims.push_back(v);
  Tensor frames = Tensor::empty(Shape(dims));
  const int64_t n = s.numel(), N = d.size();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(N));
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t i = 0; i < N; ++i) {
    try {
      Rng rng(0, static_cast<uint64_t>(i));
      d.get(i, frames.data() + i * n, rng);
    } catch (...) {
      errors[static_cast<size_t>(i)] = std::current_exception();
    }
  }
  for (auto& x : errors)
    if (x) std::rethrow_exception(x);
  std::vector<int32_t> labels(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) labels[static_cast<size_t>(i)] = d.label(i);

  const fs::path final_path(e.path);
  fs::create_directories(final_path.parent_path());
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::string tmp =
      str_cat(e.path, ".tmp.", stamp, ".", std::hash<std::thread::id>{}(std::this_thread::get_id()));
  {
    H5File f = H5File::create(tmp);
    f.write_tensor("frames", frames);
    f.write_array("labels", labels);
    f.set_attr_string("/", "key", e.key);
    f.set_attr_string("/", "params", params);
    f.set_attr_string("/", "dataset", dataset);
    f.set_attr_string("/", "split", split);
    f.set_attr_string("/", "soma_format", "frame_cache");
    f.close();
  }
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(str_cat(e.path, ": cannot move the new cache entry into place: ", ec.message()));
  }
  std::vector<int> li(labels.begin(), labels.end());
  return std::make_shared<FrameTensorDataset>(std::move(frames), std::move(li), d.num_classes(),
                                              str_cat("frame cache ", e.path, " (new)"));
}

}  // namespace soma
