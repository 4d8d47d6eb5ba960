// MetricsWriter: per-step / per-epoch / eval scalars of a run, written twice as they come:
//   <dir>/metrics.jsonl   one JSON object per line, {"kind":"step","step":100,"loss":0.42,...},
//                         keys in the order given, flushed after every line (for `tail -f`);
//                         NaN/inf are written as null.
//   <dir>/metrics.h5      group /<kind>/ holding one appendable float64 dataset per key; all
//                         datasets of a kind have one row per write() of that kind: a key
//                         missing from a write gets NaN, a key first seen later is padded with
//                         NaN for the earlier rows. H5Fflush after every write, so a killed run
//                         leaves a readable file.
// append = false starts both files afresh; append = true (resume) continues them: metrics.h5
// is reopened (datasets of unequal length, from a kill between two appends, are padded with NaN
// to the longest), and a partial last line of metrics.jsonl (a kill mid-line) is cut off.
// Rows written after the checkpoint a run resumes from stay in the files (they are not rewound).
// Only rank 0 writes metrics. Kinds and keys are HDF5 names: non-empty, no '/'; "kind" is
// reserved for the JSON tag.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soma/io/hdf5.hpp"

namespace soma {

class MetricsWriter {
 public:
  MetricsWriter(const std::string& dir, bool append);  // creates dir when missing
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  // kind: "step", "epoch", "eval" (any valid name works).
  void write(const std::string& kind, const std::vector<std::pair<std::string, double>>& values);
  // Both files are already flushed after each write(); this flushes again (cheap).
  void flush();
  // Closes both files, throwing IoError on failure. Idempotent; the destructor closes quietly.
  void close();

  const std::string& jsonl_path() const { return jsonl_path_; }
  const std::string& h5_path() const { return h5_path_; }
  // Rows written so far for a kind (including those of earlier runs in append mode).
  int64_t rows(const std::string& kind) const;

 private:
  struct Kind {
    int64_t rows = 0;
    std::vector<std::string> keys;  // datasets under /<kind>, in creation order
  };
  void open_jsonl(bool append);
  void open_h5(bool append);

  std::string jsonl_path_, h5_path_;
  std::FILE* jsonl_ = nullptr;
  std::optional<H5File> h5_;
  std::map<std::string, Kind> kinds_;
};

}  // namespace soma
