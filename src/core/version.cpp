#include "soma/core/version.hpp"

#include "soma_git_sha.hpp"  // generated at build time (CMakeLists.txt, cmake/git_sha.cmake)

namespace soma {

std::string version() { return SOMA_VERSION; }
std::string git_sha() { return SOMA_GIT_SHA; }

}  // namespace soma
