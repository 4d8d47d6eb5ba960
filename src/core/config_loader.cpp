#include "soma/core/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "config_doc.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

void drop_origins_under(ConfigNode::Doc& doc, const std::string& path) {
  for (auto it = doc.origins.begin(); it != doc.origins.end();) {
    const std::string& p = it->first;
    const bool under = p.size() > path.size() && p.compare(0, path.size(), path) == 0 &&
                       (p[path.size()] == '.' || p[path.size()] == '[');
    it = under ? doc.origins.erase(it) : std::next(it);
  }
}

// Records `origin` for every map key below `node` (so later merges can tell files apart).
void record_origins(ConfigNode::Doc& doc, const YAML::Node& node, const std::string& path,
                    const std::string& origin) {
  doc.origins[path] = origin;
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    record_origins(doc, kv.second, path.empty() ? key : path + "." + key, origin);
  }
}

// base <- child, key by key for maps; anything else replaces.
void merge_into(YAML::Node base, const YAML::Node& child, ConfigNode::Doc& doc,
                const std::string& path, const std::string& origin) {
  for (const auto& kv : child) {
    const std::string key = kv.first.as<std::string>();
    const std::string sub = path.empty() ? key : path + "." + key;
    YAML::Node existing = base[key];
    if (existing.IsDefined() && existing.IsMap() && kv.second.IsMap()) {
      merge_into(existing, kv.second, doc, sub, origin);
    } else {
      drop_origins_under(doc, sub);
      base[key] = kv.second;
      // The merged map's new key node has no file position: remember the original one.
      if (!kv.first.Mark().is_null()) doc.key_marks[sub] = {kv.first.Mark().line, kv.first.Mark().column};
      record_origins(doc, kv.second, sub, origin);
    }
  }
}

YAML::Node parse_file(const std::string& path) {
  const ConfigNode n = ConfigNode::load_file(path);  // uniform error messages for bad YAML
  return n.yaml();
}

YAML::Node load_recursive(const std::string& path, ConfigNode::Doc& doc,
                          std::vector<std::string>& chain) {
  const std::string canon = fs::weakly_canonical(path).string();
  for (const auto& c : chain)
    SOMA_CHECK_AS(ConfigError, c != canon, path, ": `extends` cycle: ", c, " includes itself");
  chain.push_back(canon);
  YAML::Node node = parse_file(path);
  SOMA_CHECK_AS(ConfigError, node.IsMap() || node.IsNull(), path,
                ": a config must be a map of sections (version, seed, data, model, train, ...)");
  YAML::Node result(YAML::NodeType::Map);
  if (node["extends"]) {
    const YAML::Node ext = node["extends"];
    std::vector<std::string> bases;
    if (ext.IsScalar()) {
      bases.push_back(ext.Scalar());
    } else if (ext.IsSequence()) {
      for (const auto& e : ext) bases.push_back(e.as<std::string>());
    } else {
      throw ConfigError(str_cat(path, ":", ext.Mark().line + 1, ":", ext.Mark().column + 1,
                                ": extends: expected a file name or a list of file names"));
    }
    for (const auto& b : bases) {
      const fs::path base_path = fs::path(path).parent_path() / b;
      if (!fs::exists(base_path))
        throw ConfigError(str_cat(path, ":", ext.Mark().line + 1, ":", ext.Mark().column + 1,
                                  ": extends: base config not found: ", base_path.string()));
      YAML::Node base = load_recursive(base_path.string(), doc, chain);
      merge_into(result, base, doc, "", base_path.string());
    }
    node.remove("extends");
  }
  if (node.IsMap()) merge_into(result, node, doc, "", path);
  chain.pop_back();
  return result;
}

// Splits "model.layers[2].tau" or "model.layers.2.tau" into path components.
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : key) {
    if (c == '.' || c == '[' || c == ']') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void apply_overrides(ConfigNode& root, const std::vector<std::string>& overrides) {
  auto& doc = *root.doc();
  YAML::Node top = root.yaml();
  for (const auto& ov : overrides) {
    const auto eq = ov.find('=');
    SOMA_CHECK_AS(ConfigError, eq != std::string::npos && eq > 0, "--set ", ov,
                  ": expected key.path=value");
    const std::string key = ov.substr(0, eq);
    const std::string origin = "--set " + ov;
    YAML::Node value;
    try {
      value = YAML::Load(ov.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      throw ConfigError(str_cat(origin, ": invalid YAML value: ", e.msg));
    }
    const auto parts = split_key(key);
    SOMA_CHECK_AS(ConfigError, !parts.empty(), origin, ": empty key");
    // Walk down, keeping the canonical path ("a.b[2].c") for origins and messages.
    std::vector<YAML::Node> chain{top};
    std::string path;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node cur = chain.back();
      const std::string& part = parts[i];
      if (cur.IsSequence()) {
        SOMA_CHECK_AS(ConfigError, is_index(part) && std::stoul(part) < cur.size(), origin,
                      ": '", path, "' is a list of ", cur.size(), " items; '", part,
                      "' is not a valid index");
        path += "[" + part + "]";
        chain.push_back(cur[std::stoul(part)]);
      } else {
        SOMA_CHECK_AS(ConfigError, cur.IsMap() || cur.IsNull(), origin, ": '", path,
                      "' is not a map");
        path += (path.empty() ? "" : ".") + part;
        if (!cur[part].IsDefined() || cur[part].IsNull()) cur[part] = YAML::Node(YAML::NodeType::Map);
        chain.push_back(cur[part]);
      }
    }
    YAML::Node parent = chain.back();
    const std::string& last = parts.back();
    if (parent.IsSequence()) {
      SOMA_CHECK_AS(ConfigError, is_index(last) && std::stoul(last) < parent.size(), origin,
                    ": '", path, "' has no item ", last);
      path += "[" + last + "]";
      parent[std::stoul(last)] = value;
    } else {
      SOMA_CHECK_AS(ConfigError, parent.IsMap() || parent.IsNull(), origin, ": '", path,
                    "' is not a map");
      path += (path.empty() ? "" : ".") + last;
      parent[last] = value;
    }
    drop_origins_under(doc, path);
    record_origins(doc, value, path, origin);
  }
}

ConfigNode load_config(const std::string& path, const std::vector<std::string>& overrides) {
  SOMA_CHECK_AS(ConfigError, fs::exists(path), path, ": config file not found");
  auto doc = std::make_shared<ConfigNode::Doc>();
  std::vector<std::string> chain;
  doc->origins[""] = path;
  YAML::Node merged = load_recursive(path, *doc, chain);
  ConfigNode root(merged, doc, "");
  apply_overrides(root, overrides);
  return root;
}

}  // namespace soma
