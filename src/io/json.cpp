#include "soma/io/json.hpp"

#include <charconv>
#include <cmath>

#include "soma/core/error.hpp"

namespace soma {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

void newline(std::string& out, int indent, int depth) {
  out += '\n';
  out.append(static_cast<size_t>(indent) * static_cast<size_t>(depth), ' ');
}

}  // namespace

void json_append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
}

void json_append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

Json Json::array(std::initializer_list<Json> items) {
  Json a(Type::kArray);
  a.items_.assign(items.begin(), items.end());
  return a;
}

Json& Json::push_back(Json v) {
  if (type_ == Type::kNull) type_ = Type::kArray;
  SOMA_CHECK(type_ == Type::kArray, "Json::push_back on a value that is not an array");
  items_.push_back(std::move(v));
  return *this;
}

Json& Json::set(std::string_view key, Json v) {
  (*this)[key] = std::move(v);
  return *this;
}

Json& Json::operator[](std::string_view key) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  SOMA_CHECK(type_ == Type::kObject, "Json: key '", key, "' used on a value that is not an object");
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k] == key) return items_[k];
  }
  keys_.emplace_back(key);
  items_.emplace_back();
  return items_.back();
}

const Json& Json::at(std::string_view key) const {
  SOMA_CHECK(type_ == Type::kObject, "Json: key '", key, "' used on a value that is not an object");
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k] == key) return items_[k];
  }
  throw Error(str_cat("Json: no key '", key, "'"));
}

bool Json::contains(std::string_view key) const {
  for (const std::string& k : keys_) {
    if (k == key) return true;
  }
  return false;
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

void Json::dump_to(std::string& out, int indent, int depth) const {
  switch (type_) {
    case Type::kNull: out += "null"; return;
    case Type::kBool: out += b_ ? "true" : "false"; return;
    case Type::kInt: out += std::to_string(i_); return;
    case Type::kUInt: out += std::to_string(u_); return;
    case Type::kDouble: json_append_number(out, d_); return;
    case Type::kString: json_append_string(out, s_); return;
    case Type::kArray:
    case Type::kObject: {
      const bool obj = type_ == Type::kObject;
      out += obj ? '{' : '[';
      for (size_t k = 0; k < items_.size(); ++k) {
        if (k > 0) out += ',';
        if (indent >= 0) newline(out, indent, depth + 1);
        if (obj) {
          json_append_string(out, keys_[k]);
          out += indent >= 0 ? ": " : ":";
        }
        items_[k].dump_to(out, indent, depth + 1);
      }
      if (indent >= 0 && !items_.empty()) newline(out, indent, depth);
      out += obj ? '}' : ']';
      return;
    }
  }
}

}  // namespace soma
