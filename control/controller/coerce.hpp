// Reading a stored record's loosely typed JSON the way stock's controller
// does while it builds a config (OSUtils::jsonInt/jsonBool/jsonString):
// numbers, numeric strings and booleans all read as integers, and so on.
// The records are strictly typed (network.hpp), but rules and capabilities
// are kept as stock renders them, so their fields need stock's leniency.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

namespace flatnet::control::controller {

inline uint64_t json_uint(const nlohmann::json& j, uint64_t dfl) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer()) return uint64_t(j.get<int64_t>());
  if (j.is_number_float()) {
    const double d = j.get<double>();
    return d < 0 ? uint64_t(int64_t(d)) : uint64_t(d);
  }
  if (j.is_string()) return std::strtoull(j.get_ref<const std::string&>().c_str(), nullptr, 10);
  if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
  return dfl;
}

inline bool json_bool(const nlohmann::json& j, bool dfl) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number()) return json_uint(j, 0) > 0;
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return !s.empty() && (s[0] == 't' || s[0] == 'T' || s[0] == '1');
  }
  return dfl;
}

inline std::string json_string(const nlohmann::json& j, const std::string& dfl) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number()) return std::to_string(json_uint(j, 0));
  if (j.is_boolean()) return j.get<bool>() ? "1" : "0";
  return dfl;
}

// A field of an object, or null when absent (stock's operator[] on a
// missing key reads as null).
inline const nlohmann::json& field(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json null_value;
  if (!obj.is_object()) return null_value;
  auto it = obj.find(key);
  return it == obj.end() ? null_value : *it;
}

}  // namespace flatnet::control::controller
