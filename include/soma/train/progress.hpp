// Progress output for long loops. On a terminal: one self-rewriting line with a bar, the fields
// given (loss, accuracy, samples/s) and the ETA. Without a terminal (batch jobs): a plain
// timestamped log line every `every` updates, so cluster logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace soma {

class Progress {
 public:
  Progress(std::string title, int64_t total, bool interactive, int64_t every);
  // `done` of `total` finished; fields are printed as "name value".
  void update(int64_t done, const std::vector<std::pair<std::string, std::string>>& fields);
  // Ends the line on a terminal.
  void finish();

 private:
  std::string title_;
  int64_t total_;
  bool interactive_;
  int64_t every_;
  int64_t first_done_ = -1;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace soma
