// soma's error types and checking macros.
//
// Library code reports every problem by throwing; only cli/main.cpp turns exceptions into exit
// codes (ConfigError and UsageError -> 2, everything else -> 1). The split follows PyTorch's
// TORCH_CHECK / TORCH_INTERNAL_ASSERT:
//   SOMA_CHECK(cond, msg...)            a user error (bad input, bad value): throws soma::Error
//   SOMA_CHECK_AS(Type, cond, msg...)   the same with a specific type (ShapeError, IoError, ...)
//   SOMA_ASSERT(cond, msg...)           an engine invariant: throws InternalError naming file:line
// Messages say what was expected, what came, and where (file:line:col, byte offset, key path).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace soma {

// Concatenates anything streamable into one string: str_cat("got ", 3, " dims").
template <typename... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg), msg_(msg) {}
  const char* what() const noexcept override { return msg_.c_str(); }
  // Adds an outer frame while unwinding: "while building layer 'lif1': <inner message>".
  void add_context(const std::string& context) { msg_ = context + ": " + msg_; }

 private:
  std::string msg_;
};

// A config file or --set override is wrong (unknown key, bad value): exit code 2.
class ConfigError : public Error { using Error::Error; };
// Command-line usage is wrong: exit code 2.
class UsageError : public Error { using Error::Error; };
// Tensor shapes do not fit (at build time, or data that does not match the model).
class ShapeError : public Error { using Error::Error; };
// A file cannot be read or written, or its content is corrupt.
class IoError : public Error { using Error::Error; };
// A bug in soma itself, never the user's fault.
class InternalError : public Error { using Error::Error; };
// A requested feature exists in the schema but not in this build (never a silent fallback).
class NotImplementedError : public Error { using Error::Error; };

}  // namespace soma

#define SOMA_CHECK_AS(Type, cond, ...)                         \
  do {                                                         \
    if (!(cond)) throw Type(::soma::str_cat(__VA_ARGS__));     \
  } while (0)

#define SOMA_CHECK(cond, ...) SOMA_CHECK_AS(::soma::Error, cond, __VA_ARGS__)

#define SOMA_ASSERT(cond, ...)                                                              \
  do {                                                                                      \
    if (!(cond))                                                                            \
      throw ::soma::InternalError(::soma::str_cat("internal error at ", __FILE__, ":",      \
                                                  __LINE__, ": ", #cond, " failed. ",       \
                                                  ##__VA_ARGS__));                          \
  } while (0)
