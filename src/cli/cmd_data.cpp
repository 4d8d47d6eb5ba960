// soma data inspect|convert|frames|verify: event files and event datasets.
//   inspect FILE [--json] [--format F] [--sample I] [--png OUT --frames K] [--bench]
//   convert IN OUT [--to h5|aedat31|text] [--format F]
//   frames CONFIG [--split train|test|all] [--cache DIR] [--set k=v ...]
//   verify DIR [--dataset NAME] [--decode] [--scale S]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "soma/cli/command.hpp"
#include "soma/core/config_loader.hpp"
#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"
#include "soma/data/data_bundle.hpp"
#include "soma/data/datasets/dataset_verify.hpp"
#include "soma/data/png_writer.hpp"
#include "soma/data/readers/aedat31.hpp"
#include "soma/data/readers/event_reader.hpp"
#include "soma/data/readers/h5_events.hpp"
#include "soma/data/readers/text_events.hpp"
#include "soma/io/json.hpp"

namespace soma::cli {
namespace {

namespace fs = std::filesystem;

ReadOptions read_options(const std::string& format, int64_t sample) {
  ReadOptions o;
  if (!format.empty()) o.format = parse_format(format);
  o.sample = sample;
  return o;
}

struct Stats {
  int64_t n = 0, on = 0;
  int64_t x_min = 0, x_max = 0, y_min = 0, y_max = 0, t_first = 0, t_last = 0;
  bool sorted = true;
};

Stats stats_of(const Events& ev) {
  Stats s;
  s.n = static_cast<int64_t>(ev.size());
  if (s.n == 0) return s;
  s.x_min = s.x_max = ev.x[0];
  s.y_min = s.y_max = ev.y[0];
  s.t_first = ev.t.front();
  s.t_last = ev.t.back();
  for (size_t i = 0; i < ev.size(); ++i) {
    s.x_min = std::min<int64_t>(s.x_min, ev.x[i]);
    s.x_max = std::max<int64_t>(s.x_max, ev.x[i]);
    s.y_min = std::min<int64_t>(s.y_min, ev.y[i]);
    s.y_max = std::max<int64_t>(s.y_max, ev.y[i]);
    s.on += ev.p[i] == 1;
    if (i && ev.t[i] < ev.t[i - 1]) s.sorted = false;
  }
  return s;
}

int inspect(const std::string& path, const std::string& format, int64_t sample, bool json,
            const std::string& png, int64_t frames, bool bench) {
  const ReadOptions opt = read_options(format, sample);
  auto reader = open_event_reader(path, opt);
  const EventFormat fmt = reader->format();
  Events ev;
  while (reader->read(ev, size_t{1} << 22) > 0) {
  }
  ev.width = reader->width();
  ev.height = reader->height();
  const Stats s = stats_of(ev);
  const double duration_s = static_cast<double>(s.t_last - s.t_first) * 1e-6;
  const double rate = duration_s > 0 ? static_cast<double>(s.n) / duration_s : 0.0;
  int64_t samples = 0;
  if (fmt == EventFormat::kShdH5 && is_shd_file(path)) samples = shd_sample_count(path);

  double bench_rate = 0.0;
  int64_t bench_reps = 0;
  if (bench) {
    // Whole-file decodes on this thread until at least 1 s has passed.
    // One Events buffer is reused (cleared, capacity kept), as a dataset loader would.
    Events tmp;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0.0;
    int64_t decoded = 0;
    do {
      auto r = open_event_reader(path, opt);
      tmp.clear();
      while (r->read(tmp, size_t{1} << 20) > 0) {
      }
      decoded += static_cast<int64_t>(tmp.size());
      ++bench_reps;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < 1.0);
    bench_rate = static_cast<double>(decoded) / elapsed;
  }

  if (json) {
    Json j = Json::object();
    j.set("file", path);
    j.set("format", format_name(fmt));
    if (samples) {
      j.set("samples", samples);
      j.set("sample", sample);
    }
    j.set("width", int64_t{ev.width});
    j.set("height", int64_t{ev.height});
    j.set("events", s.n);
    j.set("x_min", s.x_min);
    j.set("x_max", s.x_max);
    j.set("y_min", s.y_min);
    j.set("y_max", s.y_max);
    j.set("t_first_us", s.t_first);
    j.set("t_last_us", s.t_last);
    j.set("duration_s", duration_s);
    j.set("event_rate_per_s", rate);
    j.set("on", s.on);
    j.set("off", s.n - s.on);
    j.set("on_fraction", s.n ? static_cast<double>(s.on) / static_cast<double>(s.n) : 0.0);
    j.set("time_sorted", s.sorted);
    if (bench) {
      j.set("bench_events_per_s", bench_rate);
      j.set("bench_repetitions", bench_reps);
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n  format      %s\n", path.c_str(), format_name(fmt).c_str());
    if (samples) std::printf("  sample      %ld of %ld\n", long(sample), long(samples));
    std::printf("  sensor      %d x %d\n  events      %ld\n", ev.width, ev.height, long(s.n));
    if (s.n) {
      std::printf("  x           %ld..%ld\n  y           %ld..%ld\n", long(s.x_min), long(s.x_max),
                  long(s.y_min), long(s.y_max));
      std::printf("  t           %ld..%ld us (%.6f s)%s\n", long(s.t_first), long(s.t_last),
                  duration_s, s.sorted ? "" : ", NOT time-sorted");
      std::printf("  rate        %.4g events/s\n", rate);
      std::printf("  polarity    ON %ld / OFF %ld (%.1f%% ON)\n", long(s.on), long(s.n - s.on),
                  100.0 * static_cast<double>(s.on) / static_cast<double>(s.n));
    }
    if (bench)
      std::printf("  parsing     %.1f M events/s on one thread (%ld whole-file decodes)\n",
                  bench_rate * 1e-6, long(bench_reps));
  }
  if (!png.empty()) {
    int64_t w = 0, h = 0;
    const auto img = render_event_preview(ev, frames, w, h);
    write_png_rgb(png, w, h, img);
    if (!json) std::printf("  preview     %s (%ld frames, %ldx%ld px)\n", png.c_str(), long(frames), long(w), long(h));
  }
  return 0;
}

int convert(const std::string& in, const std::string& out, std::string to,
            const std::string& format, int64_t sample) {
  if (to.empty()) {
    std::string ext = fs::path(out).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".h5" || ext == ".hdf5") to = "h5";
    else if (ext == ".aedat") to = "aedat31";
    else if (ext == ".txt" || ext == ".csv") to = "text";
    else throw UsageError(str_cat("cannot tell the output format from '", out,
                                  "'; pass --to h5|aedat31|text"));
  }
  const Events ev = read_events(in, read_options(format, sample));
  if (to == "h5") write_h5_events(out, ev);
  else if (to == "aedat31") write_aedat31(out, ev);
  else write_text_events(out, ev);
  std::printf("%s -> %s (%s): %ld events, sensor %d x %d\n", in.c_str(), out.c_str(), to.c_str(),
              long(ev.size()), ev.width, ev.height);
  return 0;
}

int frames(const std::string& config, const std::string& split, const std::string& cache,
           const std::vector<std::string>& overrides) {
  const ConfigNode root = load_config(config, overrides);
  const ConfigNode data = root.child("data");
  DataLoadOptions load;
  load.train = split != "test";
  load.test = split != "train";
  load.cache_dir = cache;
  if (cache.empty())
    data.require(data.has("cache"), "cache", "soma data frames needs a cache folder: set ",
                 "data.cache in the config or pass --cache DIR");
  for (const auto& k : root.keys())
    if (k != "data") root.mark_used(k);
  const DataBundle b = make_data(data, load);
  std::printf("%s\n", b.description.c_str());
  return 0;
}

int verify(const std::string& dir, std::string dataset, bool decode, int64_t scale) {
  if (dataset.empty()) {
    dataset = detect_event_dataset(dir);
    if (dataset.empty())
      throw UsageError(str_cat(dir, ": no known dataset layout found (nmnist, dvs_gesture, ",
                               "cifar10_dvs, mnist_dvs, ncaltech101, shd, ssc); pass --dataset"));
  }
  const DatasetCheck c = verify_event_dataset(dataset, dir, decode, scale);
  std::printf("%s: dataset %s\n", dir.c_str(), dataset.c_str());
  for (const auto& i : c.info) std::printf("  %s\n", i.c_str());
  if (c.ok()) {
    std::printf("OK\n");
    return 0;
  }
  std::printf("%zu problem(s):\n", c.problems.size());
  for (const auto& p : c.problems) std::printf("  %s\n", p.c_str());
  return 1;
}

class DataCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("data", "inspect, convert, frame-cache and verify event data");
    sub->require_subcommand(1);
    inspect_ = sub->add_subcommand("inspect", "statistics of an event file (optional PNG preview)");
    inspect_->add_option("file", file_, "event file")->required()->check(CLI::ExistingFile);
    inspect_->add_flag("--json", json_, "one JSON object");
    inspect_->add_option("--format", format_, "input format (default: detected)");
    inspect_->add_option("--sample", sample_, "sample of a multi-sample file (SHD)");
    inspect_->add_option("--png", png_, "write a preview PNG");
    inspect_->add_option("--frames", frames_, "frames in the preview")->check(CLI::PositiveNumber);
    inspect_->add_flag("--bench", bench_, "measure the single-thread parsing speed");

    convert_ = sub->add_subcommand("convert", "convert an event file (to HDF5, AEDAT 3.1 or text)");
    convert_->add_option("in", file_, "input event file")->required()->check(CLI::ExistingFile);
    convert_->add_option("out", out_, "output file")->required();
    convert_->add_option("--to", to_, "h5, aedat31 or text (default: from OUT's extension)")
        ->check(CLI::IsMember({"h5", "aedat31", "text"}));
    convert_->add_option("--format", format_, "input format (default: detected)");
    convert_->add_option("--sample", sample_, "sample of a multi-sample file (SHD)");

    frames_cmd_ = sub->add_subcommand("frames", "integrate a config's event dataset into the frame cache");
    frames_cmd_->add_option("config", file_, "config file")->required()->check(CLI::ExistingFile);
    frames_cmd_->add_option("--split", split_, "train, test or all")
        ->check(CLI::IsMember({"train", "test", "all"}));
    frames_cmd_->add_option("--cache", cache_, "cache folder (default: data.cache)");
    frames_cmd_->add_option("--set", overrides_, "override a config key: --set data.time_steps=20");

    verify_ = sub->add_subcommand("verify", "check a dataset folder's layout, counts and checksums");
    verify_->add_option("dir", file_, "dataset folder")->required();
    verify_->add_option("--dataset", dataset_, "dataset name (default: detected from the layout)");
    verify_->add_flag("--decode", decode_, "decode every recording");
    verify_->add_option("--scale", scale_, "mnist_dvs scale (4, 8 or 16)");
    return sub;
  }

  int run(const GlobalOptions&) override {
    if (inspect_->parsed()) return inspect(file_, format_, sample_, json_, png_, frames_, bench_);
    if (convert_->parsed()) return convert(file_, out_, to_, format_, sample_);
    if (frames_cmd_->parsed()) return frames(file_, split_, cache_, overrides_);
    if (verify_->parsed()) return verify(file_, dataset_, decode_, scale_);
    return 2;
  }

 private:
  CLI::App *inspect_ = nullptr, *convert_ = nullptr, *frames_cmd_ = nullptr, *verify_ = nullptr;
  std::string file_, out_, to_, format_, png_, split_ = "all", cache_, dataset_;
  std::vector<std::string> overrides_;
  int64_t sample_ = 0, frames_ = 4, scale_ = 4;
  bool json_ = false, bench_ = false, decode_ = false;
};

}  // namespace

std::unique_ptr<Command> make_data_command() { return std::make_unique<DataCommand>(); }

}  // namespace soma::cli
