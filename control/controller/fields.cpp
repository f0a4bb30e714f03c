#include "control/controller/fields.hpp"

#include <cstdio>

#include "control/controller/limits.hpp"

namespace flatnet::control::controller::detail {

namespace {

const char* type_name(const nlohmann::json& v) {
  if (v.is_number_float()) return "a fractional number";
  if (v.is_number()) return "a number";
  return v.type_name();
}

}  // namespace

void FieldReader::fail(std::string_view key, std::string_view problem) {
  if (!error_.empty()) return;  // the first problem is the one worth reading
  error_.append(what_).append(" field \"").append(key).append("\": ").append(problem);
}

const nlohmann::json* FieldReader::find(const char* key) const {
  auto it = obj_.find(key);
  return it == obj_.end() ? nullptr : &*it;
}

bool FieldReader::boolean(const char* key, bool dflt) {
  const nlohmann::json* v = find(key);
  if (!v) return dflt;
  if (!v->is_boolean()) {
    fail(key, std::string("expected true or false, got ") + type_name(*v));
    return dflt;
  }
  return v->get<bool>();
}

uint64_t FieldReader::unsigned_int(const char* key, uint64_t dflt) {
  const nlohmann::json* v = find(key);
  if (!v) return dflt;
  uint64_t out = dflt;
  if (!element_unsigned(*v, key, out)) return dflt;
  return out;
}

int64_t FieldReader::signed_int(const char* key, int64_t dflt) {
  const nlohmann::json* v = find(key);
  if (!v) return dflt;
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_number_unsigned() && v->get<uint64_t>() <= uint64_t(INT64_MAX))
    return int64_t(v->get<uint64_t>());
  fail(key, std::string("expected an integer, got ") + type_name(*v));
  return dflt;
}

std::string FieldReader::string(const char* key, std::string dflt) {
  const nlohmann::json* v = find(key);
  if (!v) return dflt;
  std::string out;
  if (!element_string(*v, key, out)) return dflt;
  return out;
}

std::optional<std::string> FieldReader::nullable_string(const char* key) {
  const nlohmann::json* v = find(key);
  if (!v || v->is_null()) return std::nullopt;
  std::string out;
  if (!element_string(*v, key, out)) return std::nullopt;
  return out;
}

const nlohmann::json* FieldReader::array(const char* key) {
  const nlohmann::json* v = find(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    fail(key, std::string("expected an array, got ") + type_name(*v));
    return nullptr;
  }
  if (v->size() > kMaxArrayEntries) {
    fail(key, "more than " + std::to_string(kMaxArrayEntries) + " entries (" +
                  std::to_string(v->size()) + ")");
    return nullptr;
  }
  return v;
}

const nlohmann::json* FieldReader::object(const char* key) {
  const nlohmann::json* v = find(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    fail(key, std::string("expected an object, got ") + type_name(*v));
    return nullptr;
  }
  return v;
}

bool FieldReader::element_unsigned(const nlohmann::json& v, std::string_view path, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer()) {
    fail(path, "expected an unsigned integer, got a negative number");
    return false;
  }
  fail(path, std::string("expected an unsigned integer, got ") + type_name(v));
  return false;
}

bool FieldReader::element_string(const nlohmann::json& v, std::string_view path, std::string& out) {
  if (!v.is_string()) {
    fail(path, std::string("expected a string, got ") + type_name(v));
    return false;
  }
  out = v.get<std::string>();
  return true;
}

bool parse_hex_id(std::string_view s, unsigned digits, uint64_t& out) {
  if (s.size() != digits) return false;
  uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
    else return false;
    v = (v << 4) | d;
  }
  if (v == 0) return false;
  out = v;
  return true;
}

std::string format_hex_id(uint64_t v, unsigned digits) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%.*llx", int(digits), static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace flatnet::control::controller::detail
