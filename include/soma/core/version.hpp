// Build identity, stamped into every checkpoint's /meta.
#pragma once

#include <string>

namespace soma {

std::string version();   // "0.1.0"
std::string git_sha();   // short revision of the source tree, or "" outside a checkout

}  // namespace soma
