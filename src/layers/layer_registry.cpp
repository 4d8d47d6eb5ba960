#include "soma/layers/layer_registry.hpp"

namespace soma {

void LayerRegistry::add(LayerInfo info) {
  SOMA_ASSERT(!entries_.count(info.type) && !blocks_.count(info.type),
              "layer type registered twice: ", info.type);
  const std::string key = info.type;
  entries_.emplace(key, std::move(info));
}

void LayerRegistry::add_block(BlockInfo info) {
  SOMA_ASSERT(!entries_.count(info.type) && !blocks_.count(info.type),
              "block type registered twice or shadowing a layer: ", info.type);
  const std::string key = info.type;
  blocks_.emplace(key, std::move(info));
}

const BlockInfo* LayerRegistry::find_block(const std::string& type) const {
  auto it = blocks_.find(type);
  return it == blocks_.end() ? nullptr : &it->second;
}

std::vector<const BlockInfo*> LayerRegistry::all_blocks() const {
  std::vector<const BlockInfo*> v;
  for (const auto& [k, info] : blocks_) v.push_back(&info);
  return v;
}

const LayerInfo* LayerRegistry::find(const std::string& type) const {
  auto it = entries_.find(type);
  return it == entries_.end() ? nullptr : &it->second;
}

std::unique_ptr<Layer> LayerRegistry::make(const std::string& type, const ConfigNode& config,
                                           const std::vector<Shape>& in) const {
  const LayerInfo* info = find(type);
  if (!info) {
    std::string known;
    for (const auto& [k, v] : entries_) known += (known.empty() ? "" : ", ") + k;
    if (!blocks_.empty()) {
      known += "; blocks: ";
      bool first = true;
      for (const auto& [k, v] : blocks_) {
        known += (first ? "" : ", ") + k;
        first = false;
      }
    }
    config.fail_at("type", str_cat("unknown layer type '", type, "' (known: ", known, ")"));
  }
  return info->make(config, in);
}

std::vector<const LayerInfo*> LayerRegistry::all() const {
  std::vector<const LayerInfo*> v;
  for (const auto& [k, info] : entries_) v.push_back(&info);
  return v;
}

const LayerRegistry& LayerRegistry::builtin() {
  // Built once, read-only afterwards (a constant table, not mutable global state).
  static const LayerRegistry registry = [] {
    LayerRegistry r;
    register_builtin_layers(r);
    return r;
  }();
  return registry;
}

}  // namespace soma
