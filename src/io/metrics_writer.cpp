#include "soma/io/metrics_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "soma/core/error.hpp"
#include "soma/io/json.hpp"

namespace fs = std::filesystem;

namespace soma {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_name(const std::string& file, const std::string& what, const std::string& name) {
  SOMA_CHECK_AS(IoError, !name.empty() && name.find('/') == std::string::npos && name != "." &&
                             name != "..",
                file, ": invalid metric ", what, " '", name, "' (must be non-empty, without '/')");
}

// Cuts a partial last line (no trailing '\n') left by a killed writer.
void drop_partial_line(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec || size == 0) return;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  SOMA_CHECK_AS(IoError, f != nullptr, path, ": cannot open: ", std::strerror(errno));
  uintmax_t keep = 0;
  constexpr uintmax_t kChunk = 4096;
  std::vector<char> buf(kChunk);
  for (uintmax_t end = size; end > 0;) {
    const uintmax_t begin = end > kChunk ? end - kChunk : 0;
    std::fseek(f, static_cast<long>(begin), SEEK_SET);
    const size_t n = std::fread(buf.data(), 1, static_cast<size_t>(end - begin), f);
    size_t i = n;
    while (i > 0 && buf[i - 1] != '\n') --i;
    if (i > 0) {
      keep = begin + i;
      break;
    }
    end = begin;
  }
  std::fclose(f);
  if (keep != size) {
    fs::resize_file(path, keep, ec);
    SOMA_CHECK_AS(IoError, !ec, path, ": cannot cut the partial last line: ", ec.message());
  }
}

}  // namespace

MetricsWriter::MetricsWriter(const std::string& dir, bool append)
    : jsonl_path_((fs::path(dir) / "metrics.jsonl").string()),
      h5_path_((fs::path(dir) / "metrics.h5").string()) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SOMA_CHECK_AS(IoError, fs::is_directory(dir), dir, ": cannot create metrics directory: ",
                ec ? ec.message() : std::string("not a directory"));
  open_jsonl(append);
  try {
    open_h5(append);
  } catch (...) {
    std::fclose(jsonl_);
    jsonl_ = nullptr;
    throw;
  }
}

MetricsWriter::~MetricsWriter() {
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

void MetricsWriter::open_jsonl(bool append) {
  if (append) drop_partial_line(jsonl_path_);
  jsonl_ = std::fopen(jsonl_path_.c_str(), append ? "ab" : "wb");
  SOMA_CHECK_AS(IoError, jsonl_ != nullptr, jsonl_path_, ": cannot open for writing: ",
                std::strerror(errno));
}

void MetricsWriter::open_h5(bool append) {
  if (!append || !fs::exists(h5_path_)) {
    h5_.emplace(H5File::create(h5_path_));
    return;
  }
  h5_.emplace(H5File::open_rw(h5_path_));
  for (const std::string& kind : h5_->list("/")) {
    if (!h5_->is_group(kind)) continue;
    Kind& k = kinds_[kind];
    k.keys = h5_->list(kind);
    for (const std::string& key : k.keys) k.rows = std::max(k.rows, h5_->numel(kind + "/" + key));
    for (const std::string& key : k.keys) {
      const std::string ds = kind + "/" + key;
      const int64_t n = h5_->numel(ds);
      if (n < k.rows) h5_->append(ds, std::vector<double>(static_cast<size_t>(k.rows - n), kNaN));
    }
  }
  h5_->flush();
}

int64_t MetricsWriter::rows(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? 0 : it->second.rows;
}

void MetricsWriter::write(const std::string& kind,
                          const std::vector<std::pair<std::string, double>>& values) {
  SOMA_CHECK_AS(IoError, jsonl_ != nullptr && h5_.has_value(), h5_path_, ": metrics writer is closed");
  check_name(h5_path_, "kind", kind);
  std::set<std::string> given;
  for (const auto& kv : values) {
    check_name(h5_path_, "key", kv.first);
    SOMA_CHECK_AS(IoError, kv.first != "kind", h5_path_, ": metric key 'kind' is reserved");
    SOMA_CHECK_AS(IoError, given.insert(kv.first).second, h5_path_, ": metric key '", kv.first,
                  "' given twice in one ", kind, " row");
  }

  std::string line = "{\"kind\":";
  json_append_string(line, kind);
  for (const auto& [key, v] : values) {
    line += ',';
    json_append_string(line, key);
    line += ':';
    json_append_number(line, v);
  }
  line += "}\n";
  SOMA_CHECK_AS(IoError,
                std::fwrite(line.data(), 1, line.size(), jsonl_) == line.size() &&
                    std::fflush(jsonl_) == 0,
                jsonl_path_, ": write failed: ", std::strerror(errno));

  Kind& k = kinds_[kind];
  for (const auto& [key, v] : values) {
    const std::string ds = kind + "/" + key;
    if (std::find(k.keys.begin(), k.keys.end(), key) == k.keys.end()) {
      h5_->create_series(ds);
      if (k.rows > 0) h5_->append(ds, std::vector<double>(static_cast<size_t>(k.rows), kNaN));
      k.keys.push_back(key);
    }
    h5_->append(ds, v);
  }
  for (const std::string& key : k.keys) {
    if (!given.count(key)) h5_->append(kind + "/" + key, kNaN);
  }
  ++k.rows;
  h5_->flush();
}

void MetricsWriter::flush() {
  if (jsonl_ != nullptr) {
    SOMA_CHECK_AS(IoError, std::fflush(jsonl_) == 0, jsonl_path_, ": flush failed: ",
                  std::strerror(errno));
  }
  if (h5_.has_value()) h5_->flush();
}

void MetricsWriter::close() {
  if (jsonl_ != nullptr) {
    std::FILE* f = jsonl_;
    jsonl_ = nullptr;
    SOMA_CHECK_AS(IoError, std::fclose(f) == 0, jsonl_path_, ": close failed: ", std::strerror(errno));
  }
  if (h5_.has_value()) {
    h5_->close();
    h5_.reset();
  }
}

}  // namespace soma
