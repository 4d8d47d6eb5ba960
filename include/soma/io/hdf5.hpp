// H5File: RAII over the HDF5 C API (Debian's HDF5 1.10.8). The only soma code that sees
// <hdf5.h> is src/io/hdf5.cpp; everything else goes through this class.
//
// Object paths are "/"-separated, with or without a leading "/": "model/params/fc/weight" and
// "/model/params/fc/weight" name the same dataset. Writing a dataset creates its missing parent
// groups. Writing over an existing dataset is an error (files are written once, not edited).
//
// Storage (all readable by h5py / numpy, no compression, no filters):
//   tensors              float32, contiguous, row-major, dataset dims = Tensor::shape()
//                        (a rank-0 tensor is a scalar dataspace)
//   arrays               int8/16/32/64, uint8/16/32/64, float32, float64, native little endian;
//                        1-D from a std::vector, N-D from (pointer, dims)
//   scalars              float64 scalar dataspace (0-d; numpy shape ())
//   appendable series    float64, 1-D, chunked (1024 values per chunk), max dim unlimited
//   ragged arrays        1-D dataset of variable-length sequences (HDF5 vlen, h5py
//                        `h5py.vlen_dtype(np.float32)`), e.g. SHD's spikes/times; read one row
//                        or all rows, converting the base type like numeric reads
//   string attributes    variable-length UTF-8, scalar (h5py gives str)
//   int/double attrs     int64 / float64 scalar; u64 list: uint64 1-D
// Reading converts between numeric types the way HDF5 does (e.g. an int32 dataset can be read
// as int64); use dtype() first when the exact stored type matters.
//
// Errors: HDF5's automatic error printing is switched off; every failure throws soma::IoError
// "<file>: <object path>: <what>", e.g. "runs/x/last.h5: /model/params/fc/weight: dataset
// not found", with HDF5's own innermost reason appended when there is one. Opening a file
// that is not HDF5, or is truncated, throws IoError.
//
// File locking is disabled (H5Pset_file_locking): it fails on some cluster file systems
// (Lustre/NFS, "unable to lock file") and it would stop h5py from reading metrics.h5 while a
// run is still writing it. Files are opened with the earliest-compatible format (superblock v0),
// which has no "file open for write" flag, so a file flushed and then killed stays readable.
//
// Thread safety: Debian's libhdf5 is built thread-safe (one global lock), so separate H5File
// objects may be used from different threads; one H5File must not be shared without a lock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/tensor/tensor.hpp"

namespace soma {

enum class H5DType {
  kInt8, kInt16, kInt32, kInt64,
  kUInt8, kUInt16, kUInt32, kUInt64,
  kFloat32, kFloat64,
  kString,
  kOther,  // compound, variable-length sequences, references, ...
};
// "int8", ..., "float64", "string", "other" (numpy spelling).
const char* h5_dtype_name(H5DType t);

class H5File {
 public:
  // Creates (truncating) a file for writing.
  static H5File create(const std::string& path);
  // Opens an existing file read-only / read-write. IoError if missing, not HDF5, or truncated.
  static H5File open_read(const std::string& path);
  static H5File open_rw(const std::string& path);

  H5File(H5File&& other) noexcept;
  H5File& operator=(H5File&& other) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  ~H5File();  // closes quietly; call close() to see errors

  const std::string& path() const { return path_; }
  bool is_open() const { return id_ >= 0; }
  // Writes buffered data and metadata to the OS (H5Fflush); a killed process leaves a
  // readable file. Not an fsync.
  void flush();
  // Closes the file, throwing IoError when HDF5 fails to write it out. Idempotent.
  void close();

  // ---- structure ----
  bool exists(const std::string& obj) const;  // false for "a/b" when "a" is missing
  bool is_group(const std::string& obj) const;
  bool is_dataset(const std::string& obj) const;
  void create_group(const std::string& group);  // with parents; no-op when it exists
  // Names of the direct children (groups and datasets) of a group, in name order.
  std::vector<std::string> list(const std::string& group = "/") const;
  // Full paths (no leading "/") of all datasets below a group, recursively, in name order.
  std::vector<std::string> list_datasets(const std::string& group = "/") const;

  // ---- dataset queries ----
  std::vector<int64_t> dims(const std::string& dataset) const;  // {} for a scalar
  Shape shape(const std::string& dataset) const;  // IoError when rank > Shape::kMaxRank
  int64_t numel(const std::string& dataset) const;
  H5DType dtype(const std::string& dataset) const;

  // ---- tensors (float32) ----
  void write_tensor(const std::string& dataset, const Tensor& t);
  Tensor read_tensor(const std::string& dataset) const;  // any numeric dtype, converted

  // ---- typed arrays: T in int8/16/32/64_t, uint8/16/32/64_t, float, double ----
  template <typename T>
  void write_array(const std::string& dataset, const std::vector<T>& values);  // 1-D
  template <typename T>
  void write_array(const std::string& dataset, const T* data, const std::vector<int64_t>& dims);
  // The whole dataset, flattened row-major (any rank).
  template <typename T>
  std::vector<T> read_array(const std::string& dataset) const;
  // Elements [offset, offset + count) of a 1-D dataset.
  template <typename T>
  std::vector<T> read_array(const std::string& dataset, int64_t offset, int64_t count) const;

  // ---- ragged (variable-length) 1-D arrays: T as for typed arrays ----
  // True when `dataset` is a 1-D dataset of variable-length numeric sequences.
  bool is_vlen(const std::string& dataset) const;
  // Number of rows (sequences); IoError when the dataset is not a vlen sequence dataset.
  int64_t vlen_rows(const std::string& dataset) const;
  // Row i (0 <= i < vlen_rows), converted to T. IoError naming the row when out of range.
  template <typename T>
  std::vector<T> read_vlen_row(const std::string& dataset, int64_t i) const;
  // All rows in one read (faster than row by row for many short rows).
  template <typename T>
  std::vector<std::vector<T>> read_vlen(const std::string& dataset) const;
  // Creates a 1-D vlen dataset of T (with parents), one sequence per row.
  template <typename T>
  void write_vlen(const std::string& dataset, const std::vector<std::vector<T>>& rows);

  // ---- scalars ----
  void write_scalar(const std::string& dataset, double value);  // float64, 0-d
  // A 0-d or one-element dataset of any numeric type.
  double read_scalar(const std::string& dataset) const;

  // ---- appendable float64 series (chunked, unlimited first dim) ----
  // Creates an empty series (with parents). IoError when the object exists.
  void create_series(const std::string& dataset);
  // Appends to a series, creating it when missing.
  void append(const std::string& dataset, double value);
  void append(const std::string& dataset, const std::vector<double>& values);

  // ---- attributes on a group or dataset ("/" is the root group) ----
  void set_attr_string(const std::string& obj, const std::string& name, const std::string& value);
  void set_attr_int(const std::string& obj, const std::string& name, int64_t value);
  void set_attr_double(const std::string& obj, const std::string& name, double value);
  void set_attr_u64s(const std::string& obj, const std::string& name,
                     const std::vector<uint64_t>& values);
  bool has_attr(const std::string& obj, const std::string& name) const;
  std::vector<std::string> attr_names(const std::string& obj) const;  // creation order
  H5DType attr_dtype(const std::string& obj, const std::string& name) const;
  // Getters throw IoError when missing or of the wrong kind (string vs number).
  std::string attr_string(const std::string& obj, const std::string& name) const;
  int64_t attr_int(const std::string& obj, const std::string& name) const;
  double attr_double(const std::string& obj, const std::string& name) const;
  std::vector<uint64_t> attr_u64s(const std::string& obj, const std::string& name) const;

 private:
  H5File(int64_t id, std::string path) : id_(id), path_(std::move(path)) {}
  static H5File open_mode(const std::string& path, bool rw);
  int64_t id_ = -1;  // hid_t
  std::string path_;
};

}  // namespace soma
