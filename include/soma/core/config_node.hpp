// ConfigNode: strict, position-aware access to one node of a YAML config.
//
// Every key is read through a ConfigNode. Reads are recorded; after a consumer has read what it
// knows, ensure_all_used() turns any leftover key into a ConfigError that names
// file:line:col, the key path and the accepted keys, e.g.
//   configs/g.yaml:7:5: model.layers[1] (lif): unknown key 'v_treshold' (known: tau, v_threshold)
// Values are validated where they are read (wrong type, out of range, not one of the choices).
// Copies share the record of used keys and the file of origin of every key path (configs may
// merge several files through `extends:` and `--set` overrides), so errors point at the file
// that really holds the key. yaml-cpp stays behind this header.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/error.hpp"

namespace YAML {
class Node;
}

namespace soma {

class ConfigNode {
 public:
  struct Doc;  // shared state: origins of key paths, keys read so far

  ConfigNode();
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode& operator=(const ConfigNode&);

  // Parses YAML text; `origin` names it in messages (a file path, or "--set k=v").
  static ConfigNode parse(const std::string& yaml_text, const std::string& origin);
  static ConfigNode load_file(const std::string& path);

  // --- shape of this node
  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  bool is_null() const;
  const std::string& path() const { return path_; }   // "model.layers[1]"
  std::string where() const;                          // "file:line:col: model.layers[1]"
  std::string label() const { return label_; }        // extra context, e.g. "'lif1' (lif)"
  void set_label(std::string l) { label_ = std::move(l); }

  // --- maps
  bool has(std::string_view key) const;
  std::vector<std::string> keys() const;
  ConfigNode child(std::string_view key) const;                  // required
  std::optional<ConfigNode> find(std::string_view key) const;    // optional (marks as used)
  // Marks a key as read without interpreting it (its consumer is elsewhere).
  void mark_used(std::string_view key) const;
  // Throws for keys of this map that nothing read.
  void ensure_all_used() const;
  // The keys read from this map so far, in order, each with its default ("required" if none).
  std::vector<std::pair<std::string, std::string>> keys_read() const;

  // --- sequences
  size_t size() const;
  ConfigNode operator[](size_t i) const;
  std::vector<ConfigNode> items() const;

  // --- typed reads of map entries; the one-argument forms require the key
  float get_float(std::string_view key) const;
  float get_float(std::string_view key, float def) const;
  double get_double(std::string_view key, double def) const;
  int64_t get_int(std::string_view key) const;
  int64_t get_int(std::string_view key, int64_t def) const;
  bool get_bool(std::string_view key, bool def) const;
  std::string get_string(std::string_view key) const;
  std::string get_string(std::string_view key, const std::string& def) const;
  // One of `choices`; the error lists them.
  std::string get_choice(std::string_view key, std::initializer_list<std::string_view> choices,
                         std::string_view def) const;
  // A list of ints, or a single int repeated `n` times (kernel: 3 -> [3, 3]).
  std::vector<int64_t> get_ints(std::string_view key, size_t n, std::vector<int64_t> def) const;
  std::vector<int64_t> get_int_list(std::string_view key) const;
  std::vector<float> get_float_list(std::string_view key) const;
  std::vector<std::string> get_string_list(std::string_view key,
                                           std::vector<std::string> def) const;

  // --- this node's own scalar value
  std::string as_string() const;
  double as_double() const;
  int64_t as_int() const;

  // Throws ConfigError at this node (or at `key` of this map when given).
  [[noreturn]] void fail(const std::string& msg) const;
  [[noreturn]] void fail_at(std::string_view key, const std::string& msg) const;
  template <typename... Args>
  void require(bool cond, std::string_view key, Args&&... msg) const {
    if (!cond) fail_at(key, str_cat(std::forward<Args>(msg)...));
  }

  // The underlying YAML (for the config loader and for dumping the resolved config).
  const YAML::Node& yaml() const;
  // Serialises this node as YAML text.
  std::string dump() const;

  // Used by the loader to build merged documents.
  ConfigNode(const YAML::Node& node, std::shared_ptr<Doc> doc, std::string path);
  std::shared_ptr<Doc> doc() const { return doc_; }

 private:
  std::string origin_of(const std::string& path) const;
  std::string position_of(const YAML::Node& n, const std::string& path) const;
  std::string sub_path(std::string_view key) const;
  YAML::Node get_node(std::string_view key) const;  // required, marks used
  void note_read(std::string_view key, const std::string& default_text) const;

  std::unique_ptr<YAML::Node> node_;
  std::shared_ptr<Doc> doc_;
  std::string path_;
  std::string label_;
};

}  // namespace soma
