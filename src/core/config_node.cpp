#include "soma/core/config_node.hpp"

#include <yaml-cpp/yaml.h>

#include "config_doc.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace soma {


namespace {

bool path_has_prefix(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return true;
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  return "nothing";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

}  // namespace

ConfigNode::ConfigNode() : node_(std::make_unique<YAML::Node>()), doc_(std::make_shared<Doc>()) {}
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode& o)
    : node_(std::make_unique<YAML::Node>(*o.node_)), doc_(o.doc_), path_(o.path_),
      label_(o.label_) {}
ConfigNode& ConfigNode::operator=(const ConfigNode& o) {
  if (this != &o) {
    node_ = std::make_unique<YAML::Node>(*o.node_);
    doc_ = o.doc_;
    path_ = o.path_;
    label_ = o.label_;
  }
  return *this;
}

ConfigNode::ConfigNode(const YAML::Node& node, std::shared_ptr<Doc> doc, std::string path)
    : node_(std::make_unique<YAML::Node>(node)), doc_(std::move(doc)), path_(std::move(path)) {}

ConfigNode ConfigNode::parse(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based.
    throw ConfigError(str_cat(origin, ":", e.mark.line + 1, ":", e.mark.column + 1,
                              ": invalid YAML: ", e.msg));
  }
  auto doc = std::make_shared<Doc>();
  doc->origins[""] = origin;
  return ConfigNode(root, doc, "");
}

ConfigNode ConfigNode::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SOMA_CHECK_AS(ConfigError, in.good(), path, ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

bool ConfigNode::is_map() const { return node_->IsMap(); }
bool ConfigNode::is_sequence() const { return node_->IsSequence(); }
bool ConfigNode::is_scalar() const { return node_->IsScalar(); }
bool ConfigNode::is_null() const { return !node_->IsDefined() || node_->IsNull(); }
const YAML::Node& ConfigNode::yaml() const { return *node_; }

std::string ConfigNode::dump() const {
  YAML::Emitter out;
  out << *node_;
  return out.c_str();
}

std::string ConfigNode::origin_of(const std::string& path) const {
  std::string best;
  size_t best_len = 0;
  bool found = false;
  for (const auto& [prefix, origin] : doc_->origins) {
    if (path_has_prefix(path, prefix) && (!found || prefix.size() >= best_len)) {
      best = origin;
      best_len = prefix.size();
      found = true;
    }
  }
  return found ? best : "<config>";
}

std::string ConfigNode::position_of(const YAML::Node& n, const std::string& path) const {
  const std::string origin = origin_of(path);
  // Values from --set overrides have no meaningful line in a file.
  if (origin.rfind("--set", 0) == 0 || n.Mark().is_null()) return origin;
  return str_cat(origin, ":", n.Mark().line + 1, ":", n.Mark().column + 1);
}

std::string ConfigNode::where() const {
  std::string w = position_of(*node_, path_) + ": " + (path_.empty() ? "<root>" : path_);
  if (!label_.empty()) w += " " + label_;
  return w;
}

std::string ConfigNode::sub_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ConfigNode::fail(const std::string& msg) const { throw ConfigError(where() + ": " + msg); }

void ConfigNode::fail_at(std::string_view key, const std::string& msg) const {
  // Point at the key itself: a value's mark can sit elsewhere (jbeder/yaml-cpp#1138).
  if (node_->IsMap()) {
    for (const auto& kv : *node_) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        std::string pos = position_of(kv.first, sub_path(key));
        auto km = doc_->key_marks.find(sub_path(key));
        if (kv.first.Mark().is_null() && km != doc_->key_marks.end())
          pos = str_cat(origin_of(sub_path(key)), ":", km->second.first + 1, ":", km->second.second + 1);
        std::string w = pos + ": " + sub_path(key);
        if (!label_.empty()) w += " " + label_;
        throw ConfigError(w + ": " + msg);
      }
    }
  }
  std::string w = where();
  throw ConfigError(w + ": '" + std::string(key) + "': " + msg);
}

bool ConfigNode::has(std::string_view key) const {
  return node_->IsMap() && (*node_)[std::string(key)].IsDefined() &&
         !(*node_)[std::string(key)].IsNull();
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> k;
  if (node_->IsMap())
    for (const auto& kv : *node_) k.push_back(kv.first.as<std::string>());
  return k;
}

void ConfigNode::note_read(std::string_view key, const std::string& default_text) const {
  auto& v = doc_->reads[path_];
  for (const auto& kv : v)
    if (kv.first == key) return;
  v.emplace_back(std::string(key), default_text);
}

std::vector<std::pair<std::string, std::string>> ConfigNode::keys_read() const {
  auto it = doc_->reads.find(path_);
  return it == doc_->reads.end() ? std::vector<std::pair<std::string, std::string>>{} : it->second;
}

void ConfigNode::mark_used(std::string_view key) const {
  doc_->used[path_].insert(std::string(key));
}

YAML::Node ConfigNode::get_node(std::string_view key) const {
  if (!node_->IsMap()) fail(str_cat("expected a map with key '", key, "', got ", scalar_text(*node_)));
  mark_used(key);
  YAML::Node n = (*node_)[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) fail(str_cat("missing required key '", key, "'"));
  return n;
}

ConfigNode ConfigNode::child(std::string_view key) const {
  ConfigNode c(get_node(key), doc_, sub_path(key));
  return c;
}

std::optional<ConfigNode> ConfigNode::find(std::string_view key) const {
  if (!node_->IsMap()) return std::nullopt;
  mark_used(key);
  if (!has(key)) return std::nullopt;
  return ConfigNode((*node_)[std::string(key)], doc_, sub_path(key));
}

void ConfigNode::ensure_all_used() const {
  if (!node_->IsMap()) return;
  const auto& used = doc_->used[path_];
  std::vector<std::string> known(used.begin(), used.end());
  for (const auto& kv : *node_) {
    const std::string k = kv.first.as<std::string>();
    if (!used.count(k)) fail_at(k, str_cat("unknown key '", k, "' (known: ", join(known), ")"));
  }
}

size_t ConfigNode::size() const { return node_->IsSequence() ? node_->size() : 0; }

ConfigNode ConfigNode::operator[](size_t i) const {
  SOMA_ASSERT(node_->IsSequence() && i < node_->size());
  return ConfigNode((*node_)[i], doc_, str_cat(path_, "[", i, "]"));
}

std::vector<ConfigNode> ConfigNode::items() const {
  if (!node_->IsSequence()) fail(str_cat("expected a list, got ", scalar_text(*node_)));
  std::vector<ConfigNode> v;
  for (size_t i = 0; i < node_->size(); ++i) v.push_back((*this)[i]);
  return v;
}

namespace {

template <typename T>
bool try_as(const YAML::Node& n, T& out) {
  if (!n.IsScalar()) return false;
  try {
    out = n.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

}  // namespace

double ConfigNode::get_double(std::string_view key, double def) const {
  note_read(key, str_cat(def));
  if (!has(key)) {
    mark_used(key);
    return def;
  }
  double v = 0;
  if (!try_as(get_node(key), v))
    fail_at(key, str_cat("expected a number, got ", scalar_text((*node_)[std::string(key)])));
  return v;
}

float ConfigNode::get_float(std::string_view key) const {
  note_read(key, "required");
  get_node(key);  // presence check with a clear message
  return static_cast<float>(get_double(key, 0.0));
}

float ConfigNode::get_float(std::string_view key, float def) const {
  return static_cast<float>(get_double(key, def));
}

int64_t ConfigNode::get_int(std::string_view key) const {
  note_read(key, "required");
  int64_t v = 0;
  YAML::Node n = get_node(key);
  if (!try_as(n, v)) fail_at(key, str_cat("expected an integer, got ", scalar_text(n)));
  return v;
}

int64_t ConfigNode::get_int(std::string_view key, int64_t def) const {
  note_read(key, str_cat(def));
  if (!has(key)) {
    mark_used(key);
    return def;
  }
  return get_int(key);
}

bool ConfigNode::get_bool(std::string_view key, bool def) const {
  note_read(key, def ? "true" : "false");
  if (!has(key)) {
    mark_used(key);
    return def;
  }
  bool v = false;
  YAML::Node n = get_node(key);
  if (!try_as(n, v)) fail_at(key, str_cat("expected true or false, got ", scalar_text(n)));
  return v;
}

std::string ConfigNode::get_string(std::string_view key) const {
  note_read(key, "required");
  YAML::Node n = get_node(key);
  if (!n.IsScalar()) fail_at(key, str_cat("expected a string, got ", scalar_text(n)));
  return n.Scalar();
}

std::string ConfigNode::get_string(std::string_view key, const std::string& def) const {
  note_read(key, def.empty() ? "\"\"" : def);
  if (!has(key)) {
    mark_used(key);
    return def;
  }
  return get_string(key);
}

std::string ConfigNode::get_choice(std::string_view key,
                                   std::initializer_list<std::string_view> choices,
                                   std::string_view def) const {
  std::string list;
  for (auto c : choices) list += (list.empty() ? "" : " | ") + std::string(c);
  note_read(key, str_cat(def, "  (", list, ")"));
  const std::string v = get_string(key, std::string(def));
  for (auto c : choices)
    if (c == v) return v;
  std::string comma_list;
  for (auto c : choices) comma_list += (comma_list.empty() ? "" : ", ") + std::string(c);
  fail_at(key, str_cat("invalid value '", v, "' (choices: ", comma_list, ")"));
}

std::vector<int64_t> ConfigNode::get_int_list(std::string_view key) const {
  YAML::Node n = get_node(key);
  std::vector<int64_t> out;
  if (n.IsScalar()) {
    int64_t v = 0;
    if (!try_as(n, v)) fail_at(key, str_cat("expected an integer or a list, got ", scalar_text(n)));
    return {v};
  }
  if (!n.IsSequence()) fail_at(key, str_cat("expected a list of integers, got ", scalar_text(n)));
  for (const auto& e : n) {
    int64_t v = 0;
    if (!try_as(e, v)) fail_at(key, str_cat("expected integers in the list, got ", scalar_text(e)));
    out.push_back(v);
  }
  return out;
}

std::vector<int64_t> ConfigNode::get_ints(std::string_view key, size_t n,
                                          std::vector<int64_t> def) const {
  std::string d;
  for (auto v : def) d += (d.empty() ? "" : ", ") + std::to_string(v);
  note_read(key, "[" + d + "]");
  if (!has(key)) {
    mark_used(key);
    return def;
  }
  std::vector<int64_t> v = get_int_list(key);
  if (v.size() == 1 && n > 1) v.assign(n, v[0]);
  if (v.size() != n) fail_at(key, str_cat("expected ", n, " integers, got ", v.size()));
  return v;
}

std::vector<float> ConfigNode::get_float_list(std::string_view key) const {
  YAML::Node n = get_node(key);
  std::vector<float> out;
  if (!n.IsSequence()) fail_at(key, str_cat("expected a list of numbers, got ", scalar_text(n)));
  for (const auto& e : n) {
    double v = 0;
    if (!try_as(e, v)) fail_at(key, str_cat("expected numbers in the list, got ", scalar_text(e)));
    out.push_back(static_cast<float>(v));
  }
  return out;
}

std::vector<std::string> ConfigNode::get_string_list(std::string_view key,
                                                     std::vector<std::string> def) const {
  std::string d;
  for (const auto& v : def) d += (d.empty() ? "" : ", ") + v;
  note_read(key, "[" + d + "]");
  if (!has(key)) {
    mark_used(key);
    return def;
  }
  YAML::Node n = get_node(key);
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) fail_at(key, str_cat("expected a list of names, got ", scalar_text(n)));
  std::vector<std::string> out;
  for (const auto& e : n) {
    if (!e.IsScalar()) fail_at(key, str_cat("expected names in the list, got ", scalar_text(e)));
    out.push_back(e.Scalar());
  }
  return out;
}

std::string ConfigNode::as_string() const {
  if (!node_->IsScalar()) fail(str_cat("expected a scalar, got ", scalar_text(*node_)));
  return node_->Scalar();
}

double ConfigNode::as_double() const {
  double v = 0;
  if (!try_as(*node_, v)) fail(str_cat("expected a number, got ", scalar_text(*node_)));
  return v;
}

int64_t ConfigNode::as_int() const {
  int64_t v = 0;
  if (!try_as(*node_, v)) fail(str_cat("expected an integer, got ", scalar_text(*node_)));
  return v;
}

}  // namespace soma
