// The one translation unit that includes <hdf5.h>. See include/soma/io/hdf5.hpp.
#include "soma/io/hdf5.hpp"

#include <hdf5.h>

#include <cstdlib>
#include <filesystem>
#include <type_traits>
#include <utility>

#include "soma/core/error.hpp"

static_assert(std::is_same_v<hid_t, int64_t>, "soma expects HDF5 >= 1.10 (64-bit hid_t)");

namespace soma {
namespace {

// Per call, because the thread-safe HDF5 build keeps the auto-print setting per thread.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// The innermost HDF5 error message on this thread's stack ("" when empty); clears the stack.
herr_t first_error_cb(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc != nullptr) *out = err->desc;
  return 0;
}
std::string hdf5_reason() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error_cb, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg.empty() ? msg : " (HDF5: " + msg + ")";
}

[[noreturn]] void fail(const std::string& file, const std::string& obj, const std::string& what) {
  throw IoError(file + ": " + obj + ": " + what + hdf5_reason());
}

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer c) : id_(id), close_(c) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, -1);
      close_ = o.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = -1;
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

Handle space_h(hid_t id) { return Handle(id, H5Sclose); }
Handle type_h(hid_t id) { return Handle(id, H5Tclose); }
Handle plist_h(hid_t id) { return Handle(id, H5Pclose); }
Handle dset_h(hid_t id) { return Handle(id, H5Dclose); }
Handle attr_h(hid_t id) { return Handle(id, H5Aclose); }
Handle obj_h(hid_t id) { return Handle(id, H5Oclose); }

// "/a/b" from "a/b", "/a/b", "a/b/"; rejects empty segments and "." / "..".
std::string normalize(const std::string& file, const std::string& obj) {
  std::string out;
  size_t i = 0;
  while (i < obj.size() && obj[i] == '/') ++i;
  while (i < obj.size()) {
    size_t j = obj.find('/', i);
    if (j == std::string::npos) j = obj.size();
    std::string seg = obj.substr(i, j - i);
    if (seg.empty() || seg == "." || seg == "..") {
      throw IoError(file + ": '" + obj + "': invalid object path (empty, '.' or '..' component)");
    }
    out += '/';
    out += seg;
    i = j + 1;
    if (j + 1 == obj.size()) break;  // trailing "/"
  }
  return out.empty() ? "/" : out;
}

std::string parent_of(const std::string& norm) {
  size_t k = norm.rfind('/');
  return k == 0 ? "/" : norm.substr(0, k);
}

template <typename T>
hid_t native_type();
template <> hid_t native_type<int8_t>() { return H5T_NATIVE_INT8; }
template <> hid_t native_type<int16_t>() { return H5T_NATIVE_INT16; }
template <> hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t native_type<uint16_t>() { return H5T_NATIVE_UINT16; }
template <> hid_t native_type<uint32_t>() { return H5T_NATIVE_UINT32; }
template <> hid_t native_type<uint64_t>() { return H5T_NATIVE_UINT64; }
template <> hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

// Little-endian standard types in the file, whatever the host.
template <typename T>
hid_t file_type();
template <> hid_t file_type<int8_t>() { return H5T_STD_I8LE; }
template <> hid_t file_type<int16_t>() { return H5T_STD_I16LE; }
template <> hid_t file_type<int32_t>() { return H5T_STD_I32LE; }
template <> hid_t file_type<int64_t>() { return H5T_STD_I64LE; }
template <> hid_t file_type<uint8_t>() { return H5T_STD_U8LE; }
template <> hid_t file_type<uint16_t>() { return H5T_STD_U16LE; }
template <> hid_t file_type<uint32_t>() { return H5T_STD_U32LE; }
template <> hid_t file_type<uint64_t>() { return H5T_STD_U64LE; }
template <> hid_t file_type<float>() { return H5T_IEEE_F32LE; }
template <> hid_t file_type<double>() { return H5T_IEEE_F64LE; }

H5DType classify(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return is_signed ? H5DType::kInt8 : H5DType::kUInt8;
      case 2: return is_signed ? H5DType::kInt16 : H5DType::kUInt16;
      case 4: return is_signed ? H5DType::kInt32 : H5DType::kUInt32;
      case 8: return is_signed ? H5DType::kInt64 : H5DType::kUInt64;
      default: return H5DType::kOther;
    }
  }
  if (cls == H5T_FLOAT) {
    if (size == 4) return H5DType::kFloat32;
    if (size == 8) return H5DType::kFloat64;
    return H5DType::kOther;
  }
  if (cls == H5T_STRING) return H5DType::kString;
  return H5DType::kOther;
}

bool is_numeric(H5DType t) { return t != H5DType::kString && t != H5DType::kOther; }

std::vector<hsize_t> to_hsize(const std::vector<int64_t>& dims) {
  return {dims.begin(), dims.end()};
}

int64_t product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<int64_t> space_dims(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank <= 0) return {};
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return {d.begin(), d.end()};
}

herr_t collect_names_cb(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
herr_t collect_attr_cb(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

// Internal helpers bound to one open file.
struct Ctx {
  hid_t file;
  const std::string& path;

  [[noreturn]] void fail(const std::string& obj, const std::string& what) const {
    soma::fail(path, obj, what);
  }

  bool exists_norm(const std::string& norm) const {
    if (norm == "/") return true;
    // H5Lexists fails (rather than returning false) when a parent is missing: check each level.
    size_t pos = 0;
    while (true) {
      pos = norm.find('/', pos + 1);
      const std::string prefix = pos == std::string::npos ? norm : norm.substr(0, pos);
      const htri_t r = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
      if (r <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
      if (pos == std::string::npos) break;
      if (kind(prefix) != H5I_GROUP) return false;
    }
    // A dangling soft link exists as a link but not as an object.
    const htri_t o = H5Oexists_by_name(file, norm.c_str(), H5P_DEFAULT);
    if (o <= 0) H5Eclear2(H5E_DEFAULT);
    return o > 0;
  }

  // H5I_GROUP, H5I_DATASET, ... of an existing object, H5I_BADID when it cannot be opened.
  H5I_type_t kind(const std::string& norm) const {
    Handle o = obj_h(H5Oopen(file, norm.c_str(), H5P_DEFAULT));
    if (!o.ok()) {
      H5Eclear2(H5E_DEFAULT);
      return H5I_BADID;
    }
    return H5Iget_type(o.get());
  }

  Handle open_dataset(const std::string& norm) const {
    if (!exists_norm(norm)) fail(norm, "dataset not found");
    if (kind(norm) != H5I_DATASET) fail(norm, "is a group, not a dataset");
    Handle d = dset_h(H5Dopen2(file, norm.c_str(), H5P_DEFAULT));
    if (!d.ok()) fail(norm, "cannot open dataset");
    return d;
  }

  // Any object that carries attributes: a group or a dataset.
  Handle open_object(const std::string& norm) const {
    if (!exists_norm(norm)) fail(norm, "object not found");
    Handle o = obj_h(H5Oopen(file, norm.c_str(), H5P_DEFAULT));
    if (!o.ok()) fail(norm, "cannot open object");
    return o;
  }

  void make_groups(const std::string& norm) const {
    if (norm == "/") return;
    size_t pos = 0;
    while (true) {
      pos = norm.find('/', pos + 1);
      const std::string prefix = pos == std::string::npos ? norm : norm.substr(0, pos);
      if (exists_norm(prefix)) {
        if (kind(prefix) != H5I_GROUP) fail(prefix, "is a dataset, not a group");
      } else {
        Handle g(H5Gcreate2(file, prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!g.ok()) fail(prefix, "cannot create group");
      }
      if (pos == std::string::npos) break;
    }
  }

  // Creates a new dataset (with parents) and writes `data` when numel > 0.
  void create_and_write(const std::string& norm, hid_t ftype, hid_t mtype, const void* data,
                        const std::vector<int64_t>& dims, bool series) const {
    if (norm == "/") fail(norm, "the root group cannot be a dataset");
    if (exists_norm(norm)) fail(norm, "already exists (datasets are written once)");
    for (int64_t d : dims) {
      if (d < 0) fail(norm, "negative dimension");
    }
    make_groups(parent_of(norm));
    const std::vector<hsize_t> hd = to_hsize(dims);
    Handle space;
    Handle dcpl = plist_h(H5Pcreate(H5P_DATASET_CREATE));
    if (series) {
      const hsize_t maxd = H5S_UNLIMITED;
      const hsize_t chunk = 1024;
      space = space_h(H5Screate_simple(1, hd.data(), &maxd));
      if (H5Pset_chunk(dcpl.get(), 1, &chunk) < 0) fail(norm, "cannot set chunking");
    } else if (dims.empty()) {
      space = space_h(H5Screate(H5S_SCALAR));
    } else {
      space = space_h(H5Screate_simple(static_cast<int>(hd.size()), hd.data(), nullptr));
    }
    if (!space.ok()) fail(norm, "cannot create dataspace");
    Handle d = dset_h(H5Dcreate2(file, norm.c_str(), ftype, space.get(), H5P_DEFAULT, dcpl.get(),
                                 H5P_DEFAULT));
    if (!d.ok()) fail(norm, "cannot create dataset");
    if (product(dims) > 0) {
      if (data == nullptr) fail(norm, "no data to write");
      if (H5Dwrite(d.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        fail(norm, "cannot write dataset");
      }
    }
  }

  // Reads a whole numeric dataset into `out` (numel elements of mtype).
  void read_all(const std::string& norm, hid_t mtype, void* out, int64_t numel) const {
    Handle d = open_dataset(norm);
    Handle t = type_h(H5Dget_type(d.get()));
    const H5DType dt = classify(t.get());
    if (!is_numeric(dt)) fail(norm, std::string("has dtype ") + h5_dtype_name(dt) + ", expected a number");
    if (numel == 0) return;
    if (H5Dread(d.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
      fail(norm, "cannot read dataset (corrupt or truncated file?)");
    }
  }

  std::vector<int64_t> dims_of(const std::string& norm) const {
    Handle d = open_dataset(norm);
    Handle s = space_h(H5Dget_space(d.get()));
    if (!s.ok()) fail(norm, "cannot read dataspace");
    return space_dims(s.get());
  }

  Handle open_attr(const std::string& norm, const std::string& name) const {
    Handle o = open_object(norm);
    const htri_t e = H5Aexists(o.get(), name.c_str());
    if (e <= 0) fail(norm, "attribute '" + name + "' not found");
    Handle a = attr_h(H5Aopen(o.get(), name.c_str(), H5P_DEFAULT));
    if (!a.ok()) fail(norm, "cannot open attribute '" + name + "'");
    return a;
  }

  // Replaces (or creates) attribute `name` and writes `data` of mtype into it.
  void write_attr(const std::string& norm, const std::string& name, hid_t ftype, hid_t mtype,
                  const void* data, const std::vector<int64_t>& dims) const {
    Handle o = open_object(norm);
    const htri_t e = H5Aexists(o.get(), name.c_str());
    if (e < 0) fail(norm, "cannot check attribute '" + name + "'");
    if (e > 0 && H5Adelete(o.get(), name.c_str()) < 0) {
      fail(norm, "cannot replace attribute '" + name + "'");
    }
    const std::vector<hsize_t> hd = to_hsize(dims);
    Handle space = space_h(dims.empty() ? H5Screate(H5S_SCALAR)
                                        : H5Screate_simple(1, hd.data(), nullptr));
    Handle a = attr_h(H5Acreate2(o.get(), name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!a.ok()) fail(norm, "cannot create attribute '" + name + "'");
    if (product(dims) > 0 && H5Awrite(a.get(), mtype, data) < 0) {
      fail(norm, "cannot write attribute '" + name + "'");
    }
  }

  // Checks an attribute is numeric with `want` elements (-1: any) and returns its count.
  int64_t numeric_attr_count(const std::string& norm, const std::string& name, hid_t a,
                             int64_t want) const {
    Handle t = type_h(H5Aget_type(a));
    const H5DType dt = classify(t.get());
    if (!is_numeric(dt)) {
      fail(norm, "attribute '" + name + "' has dtype " + h5_dtype_name(dt) + ", expected a number");
    }
    Handle s = space_h(H5Aget_space(a));
    const int64_t n = H5Sget_simple_extent_npoints(s.get());
    if (want >= 0 && n != want) {
      fail(norm, "attribute '" + name + "' has " + std::to_string(n) + " values, expected " +
                     std::to_string(want));
    }
    return n;
  }
};

hid_t make_fapl() {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return fapl;
  // STRONG: closing the file closes every object still open in it, so close() really closes.
  H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
  H5Pset_file_locking(fapl, false, true);
  return fapl;
}

}  // namespace

const char* h5_dtype_name(H5DType t) {
  switch (t) {
    case H5DType::kInt8: return "int8";
    case H5DType::kInt16: return "int16";
    case H5DType::kInt32: return "int32";
    case H5DType::kInt64: return "int64";
    case H5DType::kUInt8: return "uint8";
    case H5DType::kUInt16: return "uint16";
    case H5DType::kUInt32: return "uint32";
    case H5DType::kUInt64: return "uint64";
    case H5DType::kFloat32: return "float32";
    case H5DType::kFloat64: return "float64";
    case H5DType::kString: return "string";
    case H5DType::kOther: return "other";
  }
  return "other";
}

// ---- lifetime ----------------------------------------------------------------------------------

H5File H5File::create(const std::string& path) {
  silence_hdf5();
  Handle fapl = plist_h(make_fapl());
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (id < 0) {
    throw IoError(path + ": cannot create HDF5 file (missing directory or no permission?)" +
                  hdf5_reason());
  }
  return H5File(id, path);
}

H5File H5File::open_mode(const std::string& path, bool rw) {
  silence_hdf5();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError(path + ": file not found");
  if (std::filesystem::is_directory(path, ec)) throw IoError(path + ": is a directory, not a file");
  // HDF5 1.10 happily opens an empty file read-write as if it were new; it is not an HDF5 file.
  if (std::filesystem::file_size(path, ec) == 0 && !ec) {
    throw IoError(path + ": cannot open as HDF5 (the file is empty)");
  }
  Handle fapl = plist_h(make_fapl());
  const hid_t id = H5Fopen(path.c_str(), rw ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  if (id < 0) {
    throw IoError(path + ": cannot open as HDF5 (not an HDF5 file, truncated or corrupt)" +
                  hdf5_reason());
  }
  return H5File(id, path);
}

H5File H5File::open_read(const std::string& path) { return open_mode(path, false); }
H5File H5File::open_rw(const std::string& path) { return open_mode(path, true); }

H5File::H5File(H5File&& other) noexcept
    : id_(std::exchange(other.id_, -1)), path_(std::move(other.path_)) {}

H5File& H5File::operator=(H5File&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) H5Fclose(id_);
    id_ = std::exchange(other.id_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

H5File::~H5File() {
  if (id_ >= 0) {
    silence_hdf5();
    H5Fclose(id_);
    H5Eclear2(H5E_DEFAULT);
  }
}

void H5File::flush() {
  silence_hdf5();
  SOMA_CHECK_AS(IoError, id_ >= 0, path_, ": file is closed");
  if (H5Fflush(id_, H5F_SCOPE_GLOBAL) < 0) fail(path_, "/", "cannot flush file");
}

void H5File::close() {
  if (id_ < 0) return;
  silence_hdf5();
  const hid_t id = std::exchange(id_, -1);
  if (H5Fclose(id) < 0) fail(path_, "/", "cannot close file (write failed?)");
}

// ---- structure -----------------------------------------------------------------------------------

#define SOMA_H5_CTX                                                  \
  silence_hdf5();                                                    \
  SOMA_CHECK_AS(IoError, id_ >= 0, path_, ": file is closed");      \
  const Ctx c{id_, path_}

bool H5File::exists(const std::string& obj) const {
  SOMA_H5_CTX;
  return c.exists_norm(normalize(path_, obj));
}

bool H5File::is_group(const std::string& obj) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  return c.exists_norm(n) && c.kind(n) == H5I_GROUP;
}

bool H5File::is_dataset(const std::string& obj) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  return c.exists_norm(n) && c.kind(n) == H5I_DATASET;
}

void H5File::create_group(const std::string& group) {
  SOMA_H5_CTX;
  c.make_groups(normalize(path_, group));
}

std::vector<std::string> H5File::list(const std::string& group) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, group);
  if (!c.exists_norm(n)) c.fail(n, "group not found");
  if (c.kind(n) != H5I_GROUP) c.fail(n, "is a dataset, not a group");
  Handle g(H5Gopen2(id_, n.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) c.fail(n, "cannot open group");
  std::vector<std::string> names;
  hsize_t idx = 0;
  if (H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_names_cb, &names) < 0) {
    c.fail(n, "cannot list group");
  }
  return names;
}

std::vector<std::string> H5File::list_datasets(const std::string& group) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, group);
  std::vector<std::string> out;
  for (const std::string& name : list(n)) {
    const std::string child = n == "/" ? "/" + name : n + "/" + name;
    const H5I_type_t k = c.kind(child);
    if (k == H5I_DATASET) {
      out.push_back(child.substr(1));
    } else if (k == H5I_GROUP) {
      std::vector<std::string> sub = list_datasets(child);
      out.insert(out.end(), sub.begin(), sub.end());
    }
  }
  return out;
}

// ---- dataset queries -------------------------------------------------------------------------------

std::vector<int64_t> H5File::dims(const std::string& dataset) const {
  SOMA_H5_CTX;
  return c.dims_of(normalize(path_, dataset));
}

Shape H5File::shape(const std::string& dataset) const {
  const std::vector<int64_t> d = dims(dataset);
  if (d.size() > static_cast<size_t>(Shape::kMaxRank)) {
    fail(path_, normalize(path_, dataset),
         "has rank " + std::to_string(d.size()) + ", soma tensors support at most " +
             std::to_string(Shape::kMaxRank));
  }
  return Shape(d);
}

int64_t H5File::numel(const std::string& dataset) const { return product(dims(dataset)); }

H5DType H5File::dtype(const std::string& dataset) const {
  SOMA_H5_CTX;
  Handle d = c.open_dataset(normalize(path_, dataset));
  Handle t = type_h(H5Dget_type(d.get()));
  return classify(t.get());
}

// ---- tensors ------------------------------------------------------------------------------------------

void H5File::write_tensor(const std::string& dataset, const Tensor& t) {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  if (!t.defined()) c.fail(n, "cannot write an undefined tensor");
  c.create_and_write(n, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.data(), t.shape().to_vector(), false);
}

Tensor H5File::read_tensor(const std::string& dataset) const {
  const Shape s = shape(dataset);
  SOMA_H5_CTX;
  Tensor t = Tensor::empty(s);
  c.read_all(normalize(path_, dataset), H5T_NATIVE_FLOAT, t.data(), s.numel());
  return t;
}

// ---- typed arrays ---------------------------------------------------------------------------------------

template <typename T>
void H5File::write_array(const std::string& dataset, const std::vector<T>& values) {
  write_array(dataset, values.data(), {static_cast<int64_t>(values.size())});
}

template <typename T>
void H5File::write_array(const std::string& dataset, const T* data, const std::vector<int64_t>& dims) {
  SOMA_H5_CTX;
  c.create_and_write(normalize(path_, dataset), file_type<T>(), native_type<T>(), data, dims, false);
}

template <typename T>
std::vector<T> H5File::read_array(const std::string& dataset) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  std::vector<T> out(static_cast<size_t>(product(c.dims_of(n))));
  c.read_all(n, native_type<T>(), out.data(), static_cast<int64_t>(out.size()));
  return out;
}

template <typename T>
std::vector<T> H5File::read_array(const std::string& dataset, int64_t offset, int64_t count) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  const std::vector<int64_t> d = c.dims_of(n);
  if (d.size() != 1) c.fail(n, "partial reads need a 1-D dataset, this one has rank " + std::to_string(d.size()));
  if (offset < 0 || count < 0 || offset + count > d[0]) {
    c.fail(n, "range [" + std::to_string(offset) + ", " + std::to_string(offset + count) +
                  ") is outside the dataset of length " + std::to_string(d[0]));
  }
  std::vector<T> out(static_cast<size_t>(count));
  if (count == 0) return out;
  Handle ds = c.open_dataset(n);
  Handle t = type_h(H5Dget_type(ds.get()));
  const H5DType dt = classify(t.get());
  if (!is_numeric(dt)) c.fail(n, std::string("has dtype ") + h5_dtype_name(dt) + ", expected a number");
  Handle fspace = space_h(H5Dget_space(ds.get()));
  const hsize_t start = static_cast<hsize_t>(offset), cnt = static_cast<hsize_t>(count);
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &cnt, nullptr) < 0) {
    c.fail(n, "cannot select range");
  }
  Handle mspace = space_h(H5Screate_simple(1, &cnt, nullptr));
  if (H5Dread(ds.get(), native_type<T>(), mspace.get(), fspace.get(), H5P_DEFAULT, out.data()) < 0) {
    c.fail(n, "cannot read dataset (corrupt or truncated file?)");
  }
  return out;
}


// ---- ragged (vlen) arrays ------------------------------------------------------------------------------

namespace {

// Opens a 1-D dataset of vlen sequences with a numeric base type; returns its row count.
Handle open_vlen(const Ctx& c, const std::string& n, int64_t& rows) {
  Handle ds = c.open_dataset(n);
  Handle t = type_h(H5Dget_type(ds.get()));
  if (H5Tget_class(t.get()) != H5T_VLEN) {
    c.fail(n, std::string("is not a variable-length (ragged) dataset (dtype ") +
                  h5_dtype_name(classify(t.get())) + ")");
  }
  Handle base = type_h(H5Tget_super(t.get()));
  // Integers and floats of any size (SHD stores float16 times; HDF5 converts them).
  const H5T_class_t bc = H5Tget_class(base.get());
  if (bc != H5T_INTEGER && bc != H5T_FLOAT) c.fail(n, "ragged dataset with a non-numeric base type");
  Handle s = space_h(H5Dget_space(ds.get()));
  const std::vector<int64_t> d = space_dims(s.get());
  if (d.size() != 1) c.fail(n, "ragged datasets must be 1-D, this one has rank " + std::to_string(d.size()));
  rows = d[0];
  return ds;
}

// Reads `count` rows starting at `first` as vlen of mtype; `sink(row, hvl_t)` copies each.
template <typename Sink>
void read_vlen_rows(const Ctx& c, const std::string& n, hid_t base_mtype, int64_t first,
                    int64_t count, Sink&& sink) {
  int64_t rows = 0;
  Handle ds = open_vlen(c, n, rows);
  if (first < 0 || count < 0 || first + count > rows) {
    c.fail(n, "rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                  ") are outside the " + std::to_string(rows) + " rows");
  }
  if (count == 0) return;
  Handle mtype = type_h(H5Tvlen_create(base_mtype));
  Handle fspace = space_h(H5Dget_space(ds.get()));
  const hsize_t start = static_cast<hsize_t>(first), cnt = static_cast<hsize_t>(count);
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &cnt, nullptr) < 0)
    c.fail(n, "cannot select rows");
  Handle mspace = space_h(H5Screate_simple(1, &cnt, nullptr));
  std::vector<hvl_t> buf(static_cast<size_t>(count));
  if (H5Dread(ds.get(), mtype.get(), mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()) < 0)
    c.fail(n, "cannot read ragged rows (corrupt or truncated file?)");
  for (int64_t r = 0; r < count; ++r) sink(r, buf[static_cast<size_t>(r)]);
  H5Dvlen_reclaim(mtype.get(), mspace.get(), H5P_DEFAULT, buf.data());
}

}  // namespace

bool H5File::is_vlen(const std::string& dataset) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  if (!c.exists_norm(n) || c.kind(n) != H5I_DATASET) return false;
  Handle ds = c.open_dataset(n);
  Handle t = type_h(H5Dget_type(ds.get()));
  return H5Tget_class(t.get()) == H5T_VLEN;
}

int64_t H5File::vlen_rows(const std::string& dataset) const {
  SOMA_H5_CTX;
  int64_t rows = 0;
  open_vlen(c, normalize(path_, dataset), rows);
  return rows;
}

template <typename T>
std::vector<T> H5File::read_vlen_row(const std::string& dataset, int64_t i) const {
  SOMA_H5_CTX;
  std::vector<T> out;
  read_vlen_rows(c, normalize(path_, dataset), native_type<T>(), i, 1, [&](int64_t, const hvl_t& v) {
    const T* p = static_cast<const T*>(v.p);
    out.assign(p, p + v.len);
  });
  return out;
}

template <typename T>
std::vector<std::vector<T>> H5File::read_vlen(const std::string& dataset) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  int64_t rows = 0;
  open_vlen(c, n, rows);
  std::vector<std::vector<T>> out(static_cast<size_t>(rows));
  read_vlen_rows(c, n, native_type<T>(), 0, rows, [&](int64_t r, const hvl_t& v) {
    const T* p = static_cast<const T*>(v.p);
    out[static_cast<size_t>(r)].assign(p, p + v.len);
  });
  return out;
}

template <typename T>
void H5File::write_vlen(const std::string& dataset, const std::vector<std::vector<T>>& rows) {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  std::vector<hvl_t> buf(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    buf[r].len = rows[r].size();
    buf[r].p = const_cast<T*>(rows[r].data());
  }
  Handle ftype = type_h(H5Tvlen_create(file_type<T>()));
  Handle mtype = type_h(H5Tvlen_create(native_type<T>()));
  c.create_and_write(n, ftype.get(), mtype.get(), buf.data(),
                     {static_cast<int64_t>(rows.size())}, false);
}

#define SOMA_H5_INSTANTIATE(T)                                                                     \
  template void H5File::write_array<T>(const std::string&, const std::vector<T>&);                \
  template void H5File::write_array<T>(const std::string&, const T*, const std::vector<int64_t>&); \
  template std::vector<T> H5File::read_array<T>(const std::string&) const;                         \
  template std::vector<T> H5File::read_array<T>(const std::string&, int64_t, int64_t) const;     \
  template std::vector<T> H5File::read_vlen_row<T>(const std::string&, int64_t) const;              \
  template std::vector<std::vector<T>> H5File::read_vlen<T>(const std::string&) const;              \
  template void H5File::write_vlen<T>(const std::string&, const std::vector<std::vector<T>>&);
SOMA_H5_INSTANTIATE(int8_t)
SOMA_H5_INSTANTIATE(int16_t)
SOMA_H5_INSTANTIATE(int32_t)
SOMA_H5_INSTANTIATE(int64_t)
SOMA_H5_INSTANTIATE(uint8_t)
SOMA_H5_INSTANTIATE(uint16_t)
SOMA_H5_INSTANTIATE(uint32_t)
SOMA_H5_INSTANTIATE(uint64_t)
SOMA_H5_INSTANTIATE(float)
SOMA_H5_INSTANTIATE(double)
#undef SOMA_H5_INSTANTIATE

// ---- scalars ---------------------------------------------------------------------------------------------

void H5File::write_scalar(const std::string& dataset, double value) {
  SOMA_H5_CTX;
  c.create_and_write(normalize(path_, dataset), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, {}, false);
}

double H5File::read_scalar(const std::string& dataset) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  const int64_t count = product(c.dims_of(n));
  if (count != 1) c.fail(n, "expected a scalar (one value), found " + std::to_string(count) + " values");
  double v = 0;
  c.read_all(n, H5T_NATIVE_DOUBLE, &v, 1);
  return v;
}

// ---- appendable series -------------------------------------------------------------------------------------

void H5File::create_series(const std::string& dataset) {
  SOMA_H5_CTX;
  c.create_and_write(normalize(path_, dataset), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nullptr, {0}, true);
}

void H5File::append(const std::string& dataset, double value) {
  append(dataset, std::vector<double>{value});
}

void H5File::append(const std::string& dataset, const std::vector<double>& values) {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, dataset);
  if (!c.exists_norm(n)) {
    c.create_and_write(n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nullptr, {0}, true);
  }
  Handle ds = c.open_dataset(n);
  hsize_t cur = 0, maxd = 0;
  {
    Handle s = space_h(H5Dget_space(ds.get()));
    if (H5Sget_simple_extent_ndims(s.get()) != 1) c.fail(n, "not an appendable series (rank != 1)");
    H5Sget_simple_extent_dims(s.get(), &cur, &maxd);
    if (maxd != H5S_UNLIMITED) c.fail(n, "not an appendable series (fixed size)");
  }
  if (values.empty()) return;
  const hsize_t add = values.size(), total = cur + add;
  if (H5Dset_extent(ds.get(), &total) < 0) c.fail(n, "cannot extend series");
  Handle fspace = space_h(H5Dget_space(ds.get()));
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &cur, nullptr, &add, nullptr) < 0) {
    c.fail(n, "cannot select appended range");
  }
  Handle mspace = space_h(H5Screate_simple(1, &add, nullptr));
  if (H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT, values.data()) < 0) {
    c.fail(n, "cannot append to series");
  }
}

// ---- attributes ---------------------------------------------------------------------------------------------

void H5File::set_attr_string(const std::string& obj, const std::string& name, const std::string& value) {
  SOMA_H5_CTX;
  Handle t = type_h(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  const char* p = value.c_str();
  c.write_attr(normalize(path_, obj), name, t.get(), t.get(), &p, {});
}

void H5File::set_attr_int(const std::string& obj, const std::string& name, int64_t value) {
  SOMA_H5_CTX;
  c.write_attr(normalize(path_, obj), name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, {});
}

void H5File::set_attr_double(const std::string& obj, const std::string& name, double value) {
  SOMA_H5_CTX;
  c.write_attr(normalize(path_, obj), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, {});
}

void H5File::set_attr_u64s(const std::string& obj, const std::string& name,
                           const std::vector<uint64_t>& values) {
  SOMA_H5_CTX;
  c.write_attr(normalize(path_, obj), name, H5T_STD_U64LE, H5T_NATIVE_UINT64, values.data(),
               {static_cast<int64_t>(values.size())});
}

bool H5File::has_attr(const std::string& obj, const std::string& name) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  if (!c.exists_norm(n)) return false;
  Handle o = c.open_object(n);
  const htri_t e = H5Aexists(o.get(), name.c_str());
  if (e < 0) c.fail(n, "cannot check attribute '" + name + "'");
  return e > 0;
}

std::vector<std::string> H5File::attr_names(const std::string& obj) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  Handle o = c.open_object(n);
  std::vector<std::string> names;
  hsize_t idx = 0;
  if (H5Aiterate2(o.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr_cb, &names) < 0) {
    c.fail(n, "cannot list attributes");
  }
  return names;
}

H5DType H5File::attr_dtype(const std::string& obj, const std::string& name) const {
  SOMA_H5_CTX;
  Handle a = c.open_attr(normalize(path_, obj), name);
  Handle t = type_h(H5Aget_type(a.get()));
  return classify(t.get());
}

std::string H5File::attr_string(const std::string& obj, const std::string& name) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  Handle a = c.open_attr(n, name);
  Handle ft = type_h(H5Aget_type(a.get()));
  if (H5Tget_class(ft.get()) != H5T_STRING) {
    c.fail(n, "attribute '" + name + "' has dtype " + h5_dtype_name(classify(ft.get())) +
                  ", expected a string");
  }
  Handle s = space_h(H5Aget_space(a.get()));
  if (H5Sget_simple_extent_npoints(s.get()) != 1) c.fail(n, "attribute '" + name + "' is not a single string");
  Handle mt = type_h(H5Tcopy(H5T_C_S1));
  H5Tset_cset(mt.get(), H5Tget_cset(ft.get()));
  const htri_t vlen = H5Tis_variable_str(ft.get());
  if (vlen > 0) {
    H5Tset_size(mt.get(), H5T_VARIABLE);
    char* p = nullptr;
    if (H5Aread(a.get(), mt.get(), &p) < 0) c.fail(n, "cannot read attribute '" + name + "'");
    std::string out = p != nullptr ? std::string(p) : std::string();
    if (p != nullptr) H5free_memory(p);
    return out;
  }
  const size_t size = H5Tget_size(ft.get());
  H5Tset_size(mt.get(), size);
  H5Tset_strpad(mt.get(), H5T_STR_NULLPAD);
  std::string buf(size, '\0');
  if (H5Aread(a.get(), mt.get(), buf.data()) < 0) c.fail(n, "cannot read attribute '" + name + "'");
  buf.resize(buf.find('\0') == std::string::npos ? size : buf.find('\0'));
  return buf;
}

int64_t H5File::attr_int(const std::string& obj, const std::string& name) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  Handle a = c.open_attr(n, name);
  c.numeric_attr_count(n, name, a.get(), 1);
  Handle t = type_h(H5Aget_type(a.get()));
  if (H5Tget_class(t.get()) != H5T_INTEGER) c.fail(n, "attribute '" + name + "' is not an integer");
  int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0) c.fail(n, "cannot read attribute '" + name + "'");
  return v;
}

double H5File::attr_double(const std::string& obj, const std::string& name) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  Handle a = c.open_attr(n, name);
  c.numeric_attr_count(n, name, a.get(), 1);
  double v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) c.fail(n, "cannot read attribute '" + name + "'");
  return v;
}

std::vector<uint64_t> H5File::attr_u64s(const std::string& obj, const std::string& name) const {
  SOMA_H5_CTX;
  const std::string n = normalize(path_, obj);
  Handle a = c.open_attr(n, name);
  const int64_t count = c.numeric_attr_count(n, name, a.get(), -1);
  std::vector<uint64_t> v(static_cast<size_t>(count));
  if (count > 0 && H5Aread(a.get(), H5T_NATIVE_UINT64, v.data()) < 0) {
    c.fail(n, "cannot read attribute '" + name + "'");
  }
  return v;
}

#undef SOMA_H5_CTX

}  // namespace soma
