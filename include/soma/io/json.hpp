// Json: a small JSON value builder and serialiser (no parser), for metrics.jsonl lines, eval
// reports, `soma data inspect --json` and `soma bench --json`.
//
// Values: null, bool, integer (int64 or uint64, exact), double, string, array, object.
// Objects keep insertion order (setting an existing key replaces its value in place).
// Output (RFC 8259):
//   - doubles in the shortest form that reads back to the same double (std::to_chars):
//     0.1 -> 0.1, 3.0 -> 3, 1e-07 -> 1e-07; NaN and +-inf, which JSON lacks, are written null;
//   - strings escape '"', '\\' and control characters (\n \t \r \b \f, others \u00XX);
//     valid UTF-8 passes through, invalid bytes become U+FFFD so the output is always valid;
//   - dump(-1) is compact ({"a":1,"b":[1,2]}); dump(k >= 0) puts one member per line,
//     indented by k spaces per level, with ": " after keys.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace soma {

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kUInt, kDouble, kString, kArray, kObject };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::kBool), b_(b) {}
  template <std::signed_integral I>
    requires(!std::same_as<I, bool>)
  Json(I v) : type_(Type::kInt), i_(static_cast<int64_t>(v)) {}
  template <std::unsigned_integral U>
    requires(!std::same_as<U, bool>)
  Json(U v) : type_(Type::kUInt), u_(static_cast<uint64_t>(v)) {}
  template <std::floating_point F>
  Json(F v) : type_(Type::kDouble), d_(static_cast<double>(v)) {}
  Json(const char* s) : type_(Type::kString), s_(s) {}
  Json(std::string s) : type_(Type::kString), s_(std::move(s)) {}
  Json(std::string_view s) : type_(Type::kString), s_(s) {}

  static Json array() { return Json(Type::kArray); }
  static Json array(std::initializer_list<Json> items);
  static Json object() { return Json(Type::kObject); }
  template <typename T>
  static Json array_of(const std::vector<T>& values) {
    Json a = array();
    for (const T& v : values) a.push_back(Json(v));
    return a;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  // Elements of an array or members of an object; 0 otherwise.
  size_t size() const { return items_.size(); }

  // Array: appends. Throws soma::Error on a non-array (a null becomes an empty array first).
  Json& push_back(Json v);
  // Object: sets key (replacing in place when present); returns *this for chaining.
  // Throws soma::Error on a non-object (a null becomes an empty object first).
  Json& set(std::string_view key, Json v);
  // Object: the value at key, inserted as null when missing.
  Json& operator[](std::string_view key);
  // Object: the value at key; soma::Error when missing or not an object.
  const Json& at(std::string_view key) const;
  bool contains(std::string_view key) const;

  std::string dump(int indent = -1) const;

 private:
  explicit Json(Type t) : type_(t) {}
  void dump_to(std::string& out, int indent, int depth) const;

  Type type_ = Type::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  uint64_t u_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<std::string> keys_;  // objects: keys_[k] names items_[k]
  std::vector<Json> items_;        // array elements or object values
};

// Appends the JSON form of a string (with quotes) / a double (null when not finite) to out.
void json_append_string(std::string& out, std::string_view s);
void json_append_number(std::string& out, double v);

}  // namespace soma
