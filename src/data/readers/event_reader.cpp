#include "soma/data/readers/event_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "reader_factories.hpp"
#include "soma/core/error.hpp"

namespace soma {

EventReader::~EventReader() = default;

namespace {

struct FormatName {
  EventFormat f;
  const char* name;
};
constexpr std::array<FormatName, 11> kNames{{
    {EventFormat::kAuto, "auto"},
    {EventFormat::kAtisBin, "atis_bin"},
    {EventFormat::kSlayerBs1, "slayer_bs1"},
    {EventFormat::kAedat2, "aedat2"},
    {EventFormat::kAedat31, "aedat31"},
    {EventFormat::kAedat4, "aedat4"},
    {EventFormat::kPropheseeDat, "prophesee_dat"},
    {EventFormat::kEvt2, "evt2"},
    {EventFormat::kEvt3, "evt3"},
    {EventFormat::kShdH5, "shd_h5"},
    {EventFormat::kText, "text"},
}};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

// Classifies a Prophesee '%' header (first lines of the file); kAuto if it says nothing.
EventFormat classify_percent_header(const std::string& head) {
  size_t pos = 0;
  while (pos < head.size() && head[pos] == '%') {
    size_t eol = head.find('\n', pos);
    if (eol == std::string::npos) eol = head.size();
    const std::string line = lower(head.substr(pos, eol - pos));
    if (line.find("evt 3.0") != std::string::npos || line.find("format evt3") != std::string::npos)
      return EventFormat::kEvt3;
    if (line.find("evt 2.0") != std::string::npos || line.find("format evt2;") != std::string::npos ||
        (line.find("format evt2") != std::string::npos && line.find("evt21") == std::string::npos))
      return EventFormat::kEvt2;
    if (line.find("data file containing") != std::string::npos ||
        starts_with(line, "% version"))
      return EventFormat::kPropheseeDat;
    pos = eol + 1;
  }
  return EventFormat::kAuto;
}

bool looks_like_text(const std::string& head) {
  if (head.empty()) return false;
  bool digit = false;
  for (unsigned char c : head) {
    if (c == '\n' || c == '\r' || c == '\t') continue;
    if (c < 0x20 || c > 0x7E) return false;
    digit |= std::isdigit(c) != 0;
  }
  return digit;
}

}  // namespace

std::string format_name(EventFormat f) {
  for (const auto& n : kNames)
    if (n.f == f) return n.name;
  return "unknown";
}

EventFormat parse_format(const std::string& name) {
  const std::string s = lower(name);
  for (const auto& n : kNames)
    if (s == n.name) return n.f;
  if (s == "bin" || s == "bs2" || s == "nmnist") return EventFormat::kAtisBin;
  if (s == "bs1") return EventFormat::kSlayerBs1;
  if (s == "dat") return EventFormat::kPropheseeDat;
  if (s == "h5" || s == "hdf5" || s == "shd") return EventFormat::kShdH5;
  if (s == "csv" || s == "txt") return EventFormat::kText;
  std::string known;
  for (const auto& n : kNames) known += (known.empty() ? "" : ", ") + std::string(n.name);
  throw ConfigError(str_cat("unknown event format '", name, "' (known: ", known, ")"));
}

EventFormat detect_format(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw IoError(str_cat(path, ": cannot open for reading"));
  std::string head(4096, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);

  if (starts_with(head, "#!AER-DAT2.")) return EventFormat::kAedat2;
  if (starts_with(head, "#!AER-DAT3.")) return EventFormat::kAedat31;
  if (starts_with(head, "#!AER-DAT4.")) return EventFormat::kAedat4;
  if (head.size() >= 8 && std::memcmp(head.data(), "\x89HDF\r\n\x1a\n", 8) == 0)
    return EventFormat::kShdH5;
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  if (!head.empty() && head[0] == '%') {
    const EventFormat f = classify_percent_header(head);
    if (f != EventFormat::kAuto) return f;
    if (ext == ".dat") return EventFormat::kPropheseeDat;
    throw IoError(str_cat(path, ": byte 0: a Prophesee '%' header without an 'evt 2.0', "
                                "'evt 3.0' or DAT 'Version' line; pass the format explicitly"));
  }
  if (ext == ".bin" || ext == ".bs2") return EventFormat::kAtisBin;
  if (ext == ".bs1") return EventFormat::kSlayerBs1;
  if (ext == ".h5" || ext == ".hdf5") return EventFormat::kShdH5;
  if (ext == ".txt" || ext == ".csv") return EventFormat::kText;
  if (ext == ".dat") return EventFormat::kPropheseeDat;
  if (looks_like_text(head)) return EventFormat::kText;
  throw IoError(str_cat(path, ": byte 0: unknown event file format (no AEDAT/HDF5/Prophesee "
                              "magic, extension '", ext, "'); pass the format explicitly"));
}

std::unique_ptr<EventReader> open_event_reader(const std::string& path, const ReadOptions& opt) {
  const EventFormat f = opt.format == EventFormat::kAuto ? detect_format(path) : opt.format;
  switch (f) {
    case EventFormat::kAtisBin: return readers::make_atis_reader(path, opt);
    case EventFormat::kSlayerBs1: return readers::make_bs1_reader(path, opt);
    case EventFormat::kAedat2: return readers::make_aedat2_reader(path, opt);
    case EventFormat::kAedat31: return readers::make_aedat31_reader(path, opt);
    case EventFormat::kAedat4: return readers::make_aedat4_reader(path, opt);
    case EventFormat::kPropheseeDat: return readers::make_dat_reader(path, opt);
    case EventFormat::kEvt2: return readers::make_evt2_reader(path, opt);
    case EventFormat::kEvt3: return readers::make_evt3_reader(path, opt);
    case EventFormat::kText: return readers::make_text_reader(path, opt);
    case EventFormat::kShdH5: return readers::make_h5_reader(path, opt);
    case EventFormat::kAuto: break;
  }
  throw InternalError("open_event_reader: unhandled format");
}

Events read_events(const std::string& path, const ReadOptions& opt) {
  auto r = open_event_reader(path, opt);
  Events ev;
  while (r->read(ev, size_t{1} << 24) > 0) {
  }
  ev.width = r->width();
  ev.height = r->height();
  return ev;
}

}  // namespace soma
