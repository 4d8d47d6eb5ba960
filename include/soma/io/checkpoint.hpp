// Checkpoint: everything needed to resume or evaluate a run, as one HDF5 file readable by h5py.
//
// File layout (format_version 1), dataset paths are the map keys with a leading "/":
//   /meta                      group; attrs: format_version (int64) and one variable-length
//                              UTF-8 string attr per `meta` entry (soma_version, git_sha,
//                              created, config_yaml, config_sha256, ...)
//   /model/params/<layer>/<p>  float32 tensors       (Checkpoint::tensors)
//   /model/buffers/..., /optimizer/...  float32 tensors
//   /trainer/cursor ...        int64 1-D             (Checkpoint::ints)
//   /trainer/rng/data ...      uint64 1-D            (Checkpoint::u64s, e.g. Rng states)
//   /trainer/epoch ...         float64 0-d (numpy shape ())   (Checkpoint::scalars)
// On load the dtype decides the map: float32 -> tensors, int64 -> ints, uint64 -> u64s,
// float64 with one value -> scalars; any other dtype is an error (the file was not written by
// soma). Keys never start with "/" and never lie under "meta/".
//
// Atomic write (save_checkpoint): the file is written to "<path>.tmp", closed, fsync'ed, then
// renamed over <path> and the directory fsync'ed; a killed writer leaves at most a stale .tmp,
// never a half-written <path> (readdy/readdy#220; Cibiv/IQ-TREE#90). On any failure the .tmp is
// removed and the previous file at <path> is untouched.
//
// Strict loading is the caller's job, with the helpers below: tensor(name, expected_shape)
// names the key when it is missing or mis-shaped; keys_under(prefix) lists what the file holds
// so the caller can report extras.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "soma/tensor/tensor.hpp"

namespace soma {

// The newest checkpoint format this build reads and the one it writes.
inline constexpr int64_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  int64_t format_version = kCheckpointFormatVersion;
  std::map<std::string, std::string> meta;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::vector<int64_t>> ints;
  std::map<std::string, std::vector<uint64_t>> u64s;
  std::map<std::string, double> scalars;
  // The file this was loaded from (set by load_checkpoint, not saved); used in messages.
  std::string source;

  // True when any map holds `name` (meta excluded).
  bool has(const std::string& name) const;
  // IoError "checkpoint <source>: /<name> not found" when missing, and when the shape differs:
  // "checkpoint <source>: /model/params/fc/weight has shape [10, 800], model expects [10, 400]".
  const Tensor& tensor(const std::string& name, const Shape& expected) const;
  const Tensor& tensor(const std::string& name) const;
  const std::vector<int64_t>& int_values(const std::string& name) const;
  const std::vector<uint64_t>& u64_values(const std::string& name) const;
  double scalar(const std::string& name) const;
  const std::string& meta_value(const std::string& name) const;
  // All keys (of every map, meta excluded) equal to `prefix` or below it ("optimizer" matches
  // "optimizer/..." but not "optimizer2/..."); "" gives every key. Sorted.
  std::vector<std::string> keys_under(const std::string& prefix) const;
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
Checkpoint load_checkpoint(const std::string& path);

}  // namespace soma
