#include "soma/io/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "soma/core/error.hpp"
#include "soma/core/version.hpp"
#include "soma/io/hdf5.hpp"

namespace soma {
namespace {

std::string where(const Checkpoint& c) {
  return "checkpoint " + (c.source.empty() ? std::string("(in memory)") : c.source);
}

[[noreturn]] void missing(const Checkpoint& c, const std::string& name, const char* kind) {
  throw IoError(str_cat(where(c), ": /", name, " not found (expected ", kind, ")"));
}

// Validates the key syntax; H5File would reject most of these too, but later, mid-write.
void check_key(const std::string& path, const std::string& key, std::set<std::string>& seen) {
  SOMA_CHECK_AS(IoError, !key.empty(), path, ": empty checkpoint key");
  SOMA_CHECK_AS(IoError, key.front() != '/' && key.back() != '/' &&
                             key.find("//") == std::string::npos,
                path, ": checkpoint key '", key, "' must be a relative path like 'model/params/fc/weight'");
  SOMA_CHECK_AS(IoError, key != "meta" && key.rfind("meta/", 0) != 0, path, ": checkpoint key '",
                key, "' lies under /meta, which is reserved for attributes");
  SOMA_CHECK_AS(IoError, seen.insert(key).second, path, ": checkpoint key '", key,
                "' is used twice (in two of tensors/ints/u64s/scalars)");
}

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | (directory ? O_DIRECTORY : 0));
  if (fd < 0) {
    SOMA_CHECK_AS(IoError, directory, path, ": cannot reopen for fsync: ", std::strerror(errno));
    return;  // some file systems do not let a directory be opened; the rename still happened
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Directories on some file systems reject fsync (EINVAL); the data file must not.
  SOMA_CHECK_AS(IoError, rc == 0 || directory, path, ": fsync failed: ", std::strerror(err));
}

void write_all(H5File& f, const Checkpoint& ckpt) {
  f.create_group("meta");
  f.set_attr_int("meta", "format_version", ckpt.format_version);
  for (const auto& [k, v] : ckpt.meta) f.set_attr_string("meta", k, v);
  for (const auto& [k, t] : ckpt.tensors) f.write_tensor(k, t);
  for (const auto& [k, v] : ckpt.ints) f.write_array(k, v);
  for (const auto& [k, v] : ckpt.u64s) f.write_array(k, v);
  for (const auto& [k, v] : ckpt.scalars) f.write_scalar(k, v);
}

}  // namespace

bool Checkpoint::has(const std::string& name) const {
  return tensors.count(name) || ints.count(name) || u64s.count(name) || scalars.count(name);
}

const Tensor& Checkpoint::tensor(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) missing(*this, name, "a float32 tensor");
  return it->second;
}

const Tensor& Checkpoint::tensor(const std::string& name, const Shape& expected) const {
  const Tensor& t = tensor(name);
  SOMA_CHECK_AS(IoError, t.shape() == expected, where(*this), ": /", name, " has shape ",
                t.shape().str(), ", model expects ", expected.str());
  return t;
}

const std::vector<int64_t>& Checkpoint::int_values(const std::string& name) const {
  auto it = ints.find(name);
  if (it == ints.end()) missing(*this, name, "an int64 array");
  return it->second;
}

const std::vector<uint64_t>& Checkpoint::u64_values(const std::string& name) const {
  auto it = u64s.find(name);
  if (it == u64s.end()) missing(*this, name, "a uint64 array");
  return it->second;
}

double Checkpoint::scalar(const std::string& name) const {
  auto it = scalars.find(name);
  if (it == scalars.end()) missing(*this, name, "a float64 scalar");
  return it->second;
}

const std::string& Checkpoint::meta_value(const std::string& name) const {
  auto it = meta.find(name);
  SOMA_CHECK_AS(IoError, it != meta.end(), where(*this), ": /meta has no attribute '", name, "'");
  return it->second;
}

std::vector<std::string> Checkpoint::keys_under(const std::string& prefix) const {
  std::vector<std::string> out;
  const auto take = [&](const std::string& k) {
    if (prefix.empty() || k == prefix ||
        (k.size() > prefix.size() && k.compare(0, prefix.size(), prefix) == 0 &&
         (prefix.back() == '/' || k[prefix.size()] == '/'))) {
      out.push_back(k);
    }
  };
  for (const auto& kv : tensors) take(kv.first);
  for (const auto& kv : ints) take(kv.first);
  for (const auto& kv : u64s) take(kv.first);
  for (const auto& kv : scalars) take(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  std::set<std::string> seen;
  for (const auto& kv : ckpt.tensors) check_key(path, kv.first, seen);
  for (const auto& kv : ckpt.ints) check_key(path, kv.first, seen);
  for (const auto& kv : ckpt.u64s) check_key(path, kv.first, seen);
  for (const auto& kv : ckpt.scalars) check_key(path, kv.first, seen);
  SOMA_CHECK_AS(IoError, !ckpt.meta.count("format_version"), path,
                ": meta key 'format_version' is reserved (set Checkpoint::format_version)");

  const std::string tmp = path + ".tmp";
  try {
    {
      H5File f = H5File::create(tmp);
      write_all(f, ckpt);
      f.close();
    }  // on an exception the H5File destructor closes the file before the cleanup below
    fsync_path(tmp, false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw IoError(str_cat(path, ": cannot rename ", tmp, " over it: ", std::strerror(errno)));
    }
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  fsync_path(dir.empty() ? std::string(".") : dir.string(), true);
}

Checkpoint load_checkpoint(const std::string& path) {
  Checkpoint c;
  c.source = path;
  H5File f = H5File::open_read(path);
  SOMA_CHECK_AS(IoError, f.is_group("meta"), "checkpoint ", path,
                ": no /meta group (not a soma checkpoint?)");
  SOMA_CHECK_AS(IoError, f.has_attr("meta", "format_version"), "checkpoint ", path,
                ": /meta has no format_version attribute (not a soma checkpoint?)");
  c.format_version = f.attr_int("meta", "format_version");
  SOMA_CHECK_AS(IoError, c.format_version <= kCheckpointFormatVersion, "checkpoint ", path,
                " has format_version ", c.format_version, ", but this soma (", version(),
                ") reads format_version <= ", kCheckpointFormatVersion,
                "; use a newer soma to load it");
  SOMA_CHECK_AS(IoError, c.format_version >= 1, "checkpoint ", path, ": invalid format_version ",
                c.format_version);
  for (const std::string& name : f.attr_names("meta")) {
    if (name == "format_version") continue;
    c.meta[name] = f.attr_string("meta", name);
  }
  for (const std::string& key : f.list_datasets("/")) {
    if (key.rfind("meta/", 0) == 0) continue;
    const H5DType dt = f.dtype(key);
    switch (dt) {
      case H5DType::kFloat32: c.tensors[key] = f.read_tensor(key); break;
      case H5DType::kInt64: c.ints[key] = f.read_array<int64_t>(key); break;
      case H5DType::kUInt64: c.u64s[key] = f.read_array<uint64_t>(key); break;
      case H5DType::kFloat64: c.scalars[key] = f.read_scalar(key); break;
      default:
        throw IoError(str_cat("checkpoint ", path, ": /", key, " has dtype ", h5_dtype_name(dt),
                              "; soma checkpoints hold float32, int64, uint64 and float64 only"));
    }
  }
  return c;
}

}  // namespace soma
