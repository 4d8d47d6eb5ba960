// Frame cache: the integrated frames of one split stored in HDF5, so repeated runs skip parsing.
//
// Key: SHA-256 of (catalog_identity: every listed file's path, size and mtime, and the entries'
// labels / windows / rows) + the integration parameters (T, frames.describe(), filters, eval
// transforms). File: <dir>/<dataset>_<split>_<first 16 hex of the key>.h5 holding
//   /frames  float32 [N, T, ...per-step]   /labels  int32 [N]
//   root attributes: key (full hex), params (text), dataset, split, soma_format = "frame_cache"
// Any change of a file or of a parameter changes the key, so a new entry is written next to the
// old one (old entries are not deleted). Written to "<file>.tmp.<pid-free unique suffix>" and
// renamed into place, so a killed run never leaves a half-written cache entry under the final
// name. A file whose key attribute does not match is ignored (treated as missing).
// Only deterministic samples are cached: a training split with random transforms is not.
// YAML: data.cache: DIR   (off when absent)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/data/dataset.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

struct EventCatalog;

// Frames and labels held in memory (a loaded cache entry).
class FrameTensorDataset : public Dataset {
 public:
  FrameTensorDataset(Tensor frames, std::vector<int> labels, int num_classes, std::string name);
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Shape sample_shape() const override { return sample_; }
  int num_classes() const override { return num_classes_; }
  int label(int64_t i) const override { return labels_[static_cast<size_t>(i)]; }
  void get(int64_t i, float* out, Rng& rng) const override;
  std::string describe() const override { return name_; }
  const Tensor& frames() const { return frames_; }

 private:
  Tensor frames_;
  std::vector<int> labels_;
  Shape sample_;
  int num_classes_;
  std::string name_;
};

struct FrameCacheEntry {
  std::string key;   // 64 hex
  std::string path;  // <dir>/<dataset>_<split>_<key16>.h5
};
FrameCacheEntry frame_cache_entry(const std::string& dir, const EventCatalog& cat,
                                  const std::string& params);

// The cached dataset, or nullptr when the entry is missing or its key does not match.
std::shared_ptr<const Dataset> load_frame_cache(const FrameCacheEntry& e, int num_classes);

// Computes every sample of `d` (in parallel, Rng(0, i) per sample) and writes the entry
// atomically (tmp + rename); creates the directory. Returns the in-memory dataset.
std::shared_ptr<const Dataset> write_frame_cache(const FrameCacheEntry& e, const Dataset& d,
                                                 const std::string& params,
                                                 const std::string& dataset,
                                                 const std::string& split);

}  // namespace soma
