// Loading an experiment config: `extends:` inheritance and `--set` overrides.
//
//   extends: base.yaml          (or a list; paths relative to the including file)
// merges the base first, then this file on top: maps merge key by key, lists and scalars are
// replaced whole. Then each override "a.b.c=value" (value parsed as YAML; list items addressed
// as `layers[2]` or `layers.2`) replaces or adds that key. Every key path remembers the file (or
// the --set text) it came from, so errors point at the right file and line. The result is the
// resolved config: dump() of the root is what runs, and what checkpoints store.
#pragma once

#include <string>
#include <vector>

#include "soma/core/config_node.hpp"

namespace soma {

ConfigNode load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Applies "key.path=value" overrides to an already loaded config (e.g. one embedded in a
// checkpoint), recording "--set ..." as their origin.
void apply_overrides(ConfigNode& root, const std::vector<std::string>& overrides);

}  // namespace soma
