#include "soma/core/version.hpp"

#ifndef SOMA_GIT_SHA
#define SOMA_GIT_SHA ""
#endif

namespace soma {

std::string version() { return SOMA_VERSION; }
std::string git_sha() { return SOMA_GIT_SHA; }

}  // namespace soma
