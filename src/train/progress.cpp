#include "soma/train/progress.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>

namespace soma {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", long(t / 3600), long(t % 3600 / 60));
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", long(t / 60), long(t % 60));
  else
    std::snprintf(buf, sizeof buf, "%lds", long(t));
  return buf;
}

Progress::Progress(std::string title, int64_t total, bool interactive, int64_t every)
    : title_(std::move(title)), total_(total), interactive_(interactive),
      every_(every < 1 ? 1 : every), start_(std::chrono::steady_clock::now()) {}

void Progress::update(int64_t done, const std::vector<std::pair<std::string, std::string>>& fields) {
  if (first_done_ < 0) {
    first_done_ = done - 1;
    start_ = std::chrono::steady_clock::now();
  }
  const bool last = done >= total_;
  if (!interactive_ && done % every_ != 0 && !last) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = (done - first_done_) / std::max(elapsed, 1e-9);
  const double eta = rate > 0 ? (total_ - done) / rate : NAN;
  std::string text;
  for (const auto& [k, v] : fields) text += " " + k + " " + v;
  if (interactive_) {
    const int width = 24;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::string bar(filled, '=');
    if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
    std::fprintf(stderr, "\r\033[K%s [%s] %ld/%ld%s ETA %s", title_.c_str(), bar.c_str(),
                 long(done), long(total_), text.c_str(), format_duration(eta).c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else {
    spdlog::info("{} {}/{}{} eta {}", title_, done, total_, text, format_duration(eta));
  }
}

void Progress::finish() {
  if (interactive_ && drawn_) {
    std::fprintf(stderr, "\n");
    drawn_ = false;
  }
}

}  // namespace soma
