// HDF5 event files: soma's t/x/y/p layout and SHD/SSC (see soma/data/readers/h5_events.hpp).
#include "soma/data/readers/h5_events.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "reader_factories.hpp"
#include "soma/core/error.hpp"
#include "soma/io/hdf5.hpp"

namespace soma {
namespace {

// One SHD sample -> events on a channels x 1 sensor, sorted by t.
Events shd_sample(const std::string& path, int64_t i, const std::vector<float>& times,
                  const std::vector<uint16_t>& units, int64_t& channels) {
  SOMA_CHECK_AS(IoError, times.size() == units.size(), path, ": sample ", i, ": spikes/times has ",
                times.size(), " values but spikes/units has ", units.size());
  Events ev;
  ev.reserve(times.size());
  bool sorted = true;
  for (size_t k = 0; k < times.size(); ++k) {
    const double s = times[k];
    SOMA_CHECK_AS(IoError, std::isfinite(s) && s >= 0.0, path, ": sample ", i, ", spike ", k,
                  ": time ", s, " s is negative or not finite");
    const auto t = static_cast<int64_t>(std::llround(s * 1e6));
    if (!ev.t.empty() && t < ev.t.back()) sorted = false;
    ev.push_back(t, units[k], 0, 1);
    channels = std::max<int64_t>(channels, int64_t{units[k]} + 1);
  }
  if (!sorted) {
    std::vector<size_t> order(ev.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ev.t[a] < ev.t[b]; });
    Events s;
    s.reserve(ev.size());
    for (size_t k : order) s.push_back(ev.t[k], ev.x[k], ev.y[k], ev.p[k]);
    ev = std::move(s);
  }
  return ev;
}

void finish_sizes(ShdFile& f) {
  for (auto& s : f.samples) {
    s.width = static_cast<uint16_t>(f.channels);
    s.height = 1;
  }
}

// Whole-file reader: decodes at open, hands out chunks.
class H5Reader final : public EventReader {
 public:
  H5Reader(const std::string& path, const ReadOptions& opt) {
    H5File f = H5File::open_read(path);
    if (f.exists("spikes/times")) {
      const int64_t n = f.vlen_rows("spikes/times");
      SOMA_CHECK_AS(IoError, opt.sample >= 0 && opt.sample < n, path, ": sample ", opt.sample,
                    " requested, the file holds ", n, " samples (0..", n - 1, ")");
      int64_t channels = kShdChannels;
      ev_ = shd_sample(path, opt.sample, f.read_vlen_row<float>("spikes/times", opt.sample),
                       f.read_vlen_row<uint16_t>("spikes/units", opt.sample), channels);
      width_ = static_cast<uint16_t>(channels);
      height_ = 1;
    } else {
      SOMA_CHECK_AS(IoError, f.exists("t") && f.exists("x") && f.exists("y") && f.exists("p"), path,
                    ": an HDF5 file with neither SHD datasets (spikes/times, spikes/units) nor "
                    "soma event datasets (t, x, y, p)");
      ev_.t = f.read_array<int64_t>("t");
      ev_.x = f.read_array<uint16_t>("x");
      ev_.y = f.read_array<uint16_t>("y");
      ev_.p = f.read_array<int8_t>("p");
      const size_t n = ev_.t.size();
      SOMA_CHECK_AS(IoError, ev_.x.size() == n && ev_.y.size() == n && ev_.p.size() == n, path,
                    ": datasets t, x, y, p have different lengths (", n, ", ", ev_.x.size(), ", ",
                    ev_.y.size(), ", ", ev_.p.size(), ")");
      uint32_t mx = 0, my = 0;
      for (size_t k = 0; k < n; ++k) {
        mx = std::max<uint32_t>(mx, ev_.x[k]);
        my = std::max<uint32_t>(my, ev_.y[k]);
        SOMA_CHECK_AS(IoError, ev_.p[k] == 0 || ev_.p[k] == 1, path, ": /p[", k, "] = ", int{ev_.p[k]},
                      ", expected 0 or 1");
      }
      const int64_t w = f.has_attr("/", "width") ? f.attr_int("/", "width") : (n ? mx + 1 : 0);
      const int64_t h = f.has_attr("/", "height") ? f.attr_int("/", "height") : (n ? my + 1 : 0);
      width_ = static_cast<uint16_t>(opt.width ? opt.width : w);
      height_ = static_cast<uint16_t>(opt.height ? opt.height : h);
      SOMA_CHECK_AS(IoError, n == 0 || (mx < width_ && my < height_), path, ": an event at (x=", mx,
                    " or y=", my, ") lies outside the sensor ", width_, "x", height_);
    }
  }
  size_t read(Events& out, size_t max_events) override {
    const size_t n = std::min(max_events, ev_.size() - pos_);
    out.t.insert(out.t.end(), ev_.t.begin() + pos_, ev_.t.begin() + pos_ + n);
    out.x.insert(out.x.end(), ev_.x.begin() + pos_, ev_.x.begin() + pos_ + n);
    out.y.insert(out.y.end(), ev_.y.begin() + pos_, ev_.y.begin() + pos_ + n);
    out.p.insert(out.p.end(), ev_.p.begin() + pos_, ev_.p.begin() + pos_ + n);
    pos_ += n;
    out.width = width_;
    out.height = height_;
    return n;
  }
  EventFormat format() const override { return EventFormat::kShdH5; }

 private:
  Events ev_;
  size_t pos_ = 0;
};

}  // namespace

bool is_shd_file(const std::string& path) {
  H5File f = H5File::open_read(path);
  return f.exists("spikes/times");
}

int64_t shd_sample_count(const std::string& path) {
  H5File f = H5File::open_read(path);
  return f.numel("labels");
}

ShdFile read_shd_file(const std::string& path) {
  H5File f = H5File::open_read(path);
  SOMA_CHECK_AS(IoError, f.exists("spikes/times") && f.exists("spikes/units") && f.exists("labels"),
                path, ": not an SHD/SSC file (expected datasets spikes/times, spikes/units, labels)");
  const auto times = f.read_vlen<float>("spikes/times");
  const auto units = f.read_vlen<uint16_t>("spikes/units");
  const auto labels = f.read_array<int64_t>("labels");
  SOMA_CHECK_AS(IoError, times.size() == units.size() && times.size() == labels.size(), path,
                ": spikes/times has ", times.size(), " rows, spikes/units ", units.size(),
                ", labels ", labels.size(), "; expected the same number of samples");
  ShdFile out;
  out.samples.resize(times.size());
  out.labels.resize(times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    out.samples[i] = shd_sample(path, static_cast<int64_t>(i), times[i], units[i], out.channels);
    SOMA_CHECK_AS(IoError, labels[i] >= 0 && labels[i] < (int64_t{1} << 30), path, ": labels[", i,
                  "] = ", labels[i], " is negative or too large");
    out.labels[i] = static_cast<int>(labels[i]);
  }
  finish_sizes(out);
  return out;
}

void write_h5_events(const std::string& path, const Events& ev) {
  H5File f = H5File::create(path);
  f.write_array("t", ev.t);
  f.write_array("x", ev.x);
  f.write_array("y", ev.y);
  f.write_array("p", ev.p);
  f.set_attr_int("/", "width", ev.width);
  f.set_attr_int("/", "height", ev.height);
  f.set_attr_string("/", "soma_format", "events");
  f.close();
}

namespace readers {
std::unique_ptr<EventReader> make_h5_reader(const std::string& path, const ReadOptions& opt) {
  return std::make_unique<H5Reader>(path, opt);
}
}  // namespace readers

}  // namespace soma
