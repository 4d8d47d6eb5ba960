#include "soma/sweep/sweep_plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "soma/core/config_loader.hpp"
#include "soma/core/error.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

using Overrides = std::vector<std::pair<std::string, std::string>>;

std::string flow_yaml(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// Characters outside [A-Za-z0-9._+-] become '-', runs of them one '-'; no leading/trailing '-'.
std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' || c == '_';
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string last_component(const std::string& key) {
  const size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// The cartesian product of a map of key paths to value lists (first key slowest).
std::vector<Overrides> product(const ConfigNode& grid) {
  SOMA_CHECK_AS(ConfigError, grid.is_map(), grid.where(),
                ": a grid must map key paths to lists of values");
  std::vector<Overrides> out{{}};
  for (const std::string& key : grid.keys()) {
    const ConfigNode v = grid.child(key);
    std::vector<std::string> values;
    if (v.is_sequence()) {
      for (const auto& item : v.items()) values.push_back(flow_yaml(item.yaml()));
    } else {
      values.push_back(flow_yaml(v.yaml()));
    }
    SOMA_CHECK_AS(ConfigError, !values.empty(), v.where(), ": '", key, "' lists no values");
    std::vector<Overrides> next;
    for (const Overrides& o : out)
      for (const std::string& val : values) {
        Overrides n = o;
        n.emplace_back(key, val);
        next.push_back(std::move(n));
      }
    out = std::move(next);
  }
  return out;
}

std::vector<Overrides> explicit_sets(const ConfigNode& sets) {
  SOMA_CHECK_AS(ConfigError, sets.is_sequence(), sets.where(),
                ": explicit override sets must be a list of maps (key path: value)");
  std::vector<Overrides> out;
  for (const auto& item : sets.items()) {
    SOMA_CHECK_AS(ConfigError, item.is_map(), item.where(),
                  ": each override set must be a map of key paths to values");
    Overrides o;
    for (const std::string& key : item.keys()) o.emplace_back(key, flow_yaml(item.child(key).yaml()));
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::vector<std::string> SweepPoint::override_args() const {
  std::vector<std::string> a;
  for (const auto& [k, v] : overrides) a.push_back(k + "=" + v);
  return a;
}

std::vector<SweepPoint> expand_grid(const ConfigNode& grid) {
  std::vector<Overrides> combos;
  if (grid.is_sequence()) {
    combos = explicit_sets(grid);
  } else {
    SOMA_CHECK_AS(ConfigError, grid.is_map(), grid.where(),
                  ": a grid file is a map (key path -> values), a list of override sets, or "
                  "{grid: ..., sets: ...}");
    const std::vector<std::string> keys = grid.keys();
    const bool structured = !keys.empty() && std::all_of(keys.begin(), keys.end(), [](const std::string& k) {
      return k == "grid" || k == "sets";
    });
    if (structured) {
      const std::vector<Overrides> g = grid.has("grid") ? product(grid.child("grid")) : std::vector<Overrides>{{}};
      const std::vector<Overrides> s = grid.has("sets") ? explicit_sets(grid.child("sets")) : std::vector<Overrides>{{}};
      for (const Overrides& a : s)
        for (const Overrides& b : g) {
          Overrides o = a;
          o.insert(o.end(), b.begin(), b.end());
          combos.push_back(std::move(o));
        }
    } else {
      combos = product(grid);
    }
  }
  SOMA_CHECK_AS(ConfigError, !combos.empty(), grid.where(), ": the grid describes no points");
  const size_t width = std::max<size_t>(3, std::to_string(combos.size() - 1).size());
  std::vector<SweepPoint> points;
  for (size_t i = 0; i < combos.size(); ++i) {
    SweepPoint p;
    std::string idx = std::to_string(i);
    p.name = std::string(width - idx.size(), '0') + idx;
    for (const auto& [k, v] : combos[i])
      p.name.append("_").append(sanitize(last_component(k))).append("=").append(sanitize(v));
    if (p.name.size() > 100) p.name.resize(100);
    p.overrides = combos[i];
    points.push_back(std::move(p));
  }
  return points;
}

std::vector<SweepPoint> load_grid(const std::string& path) {
  return expand_grid(ConfigNode::load_file(path));
}

std::vector<PreparedPoint> resolve_sweep(const SweepSpec& spec, const std::vector<SweepPoint>& points) {
  const fs::path out = fs::absolute(spec.out_dir).lexically_normal();
  std::vector<PreparedPoint> prepared;
  for (const SweepPoint& p : points) {
    PreparedPoint pp;
    pp.point = p;
    pp.dir = (out / p.name).string();
    pp.config_path = (out / p.name / "config.yaml").string();
    std::vector<std::string> ov = spec.base_overrides;
    for (const std::string& a : p.override_args()) ov.push_back(a);
    ov.push_back("output.dir=" + flow_yaml(YAML::Node(pp.dir)));
    try {
      pp.config_yaml = load_config(spec.config, ov).dump();
    } catch (Error& e) {
      e.add_context("sweep point " + p.name);
      throw;
    }
    prepared.push_back(std::move(pp));
  }
  return prepared;
}

void write_sweep(const SweepSpec& spec, const std::vector<PreparedPoint>& points) {
  const fs::path out = fs::absolute(spec.out_dir).lexically_normal();
  std::error_code ec;
  fs::create_directories(out, ec);
  SOMA_CHECK_AS(IoError, !ec, out.string(), ": cannot create the sweep directory: ", ec.message());
  YAML::Node manifest;
  manifest["config"] = fs::absolute(spec.config).lexically_normal().string();
  manifest["grid"] = spec.grid.empty() ? std::string() : fs::absolute(spec.grid).lexically_normal().string();
  manifest["set"] = YAML::Node(YAML::NodeType::Sequence);
  for (const auto& s : spec.base_overrides) manifest["set"].push_back(s);
  std::ofstream names(out / "points.txt");
  for (const PreparedPoint& p : points) {
    fs::create_directories(p.dir, ec);
    SOMA_CHECK_AS(IoError, !ec, p.dir, ": cannot create the run directory: ", ec.message());
    std::ofstream(p.config_path) << p.config_yaml << "\n";
    YAML::Node ov(YAML::NodeType::Map);
    for (const auto& [k, v] : p.point.overrides) ov[k] = YAML::Load(v);
    YAML::Node rec;
    rec["point"] = p.point.name;
    rec["overrides"] = ov;
    rec["set"] = manifest["set"];
    std::ofstream(fs::path(p.dir) / "overrides.yaml") << YAML::Dump(rec) << "\n";
    YAML::Node entry;
    entry["name"] = p.point.name;
    entry["overrides"] = ov;
    manifest["points"].push_back(entry);
    names << p.point.name << "\n";
  }
  SOMA_CHECK_AS(IoError, names.good(), (out / "points.txt").string(), ": write failed");
  std::ofstream(out / "sweep.yaml") << YAML::Dump(manifest) << "\n";
}

}  // namespace soma
