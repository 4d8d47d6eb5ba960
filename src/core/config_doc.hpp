// Private: the state shared by all ConfigNodes of one document (see config_node.hpp).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "soma/core/config_node.hpp"

namespace soma {

struct ConfigNode::Doc {
  // Which file (or --set override) supplied each key path; the longest matching prefix wins.
  std::map<std::string, std::string> origins;
  // Positions (0-based line, column) of keys whose map was rebuilt by merging configs.
  std::map<std::string, std::pair<int, int>> key_marks;
  // For every map (by path), the keys read so far.
  std::map<std::string, std::set<std::string>> used;
  // For every map (by path), the keys read in order with their default ("required" if none):
  // what `soma layers TYPE` prints.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> reads;
};

}  // namespace soma
