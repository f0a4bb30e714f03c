// Strict reading of one stored controller record (a JSON object): each known
// field is checked for its stock type, a missing field takes stock's default,
// and the first problem is kept as a message naming the field. Shared by the
// network and member records; not a public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace flatnet::control::controller::detail {

class FieldReader {
 public:
  FieldReader(const nlohmann::json& obj, std::string_view what) : obj_(obj), what_(what) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string_view key, std::string_view problem);

  // Each returns `dflt` when the key is absent and records an error (and
  // returns `dflt`) when its value has another type.
  bool boolean(const char* key, bool dflt);
  uint64_t unsigned_int(const char* key, uint64_t dflt);
  int64_t signed_int(const char* key, int64_t dflt);
  std::string string(const char* key, std::string dflt);
  // Absent or null reads as nullopt; stock writes null for "not set".
  std::optional<std::string> nullable_string(const char* key);
  // Absent: nullptr. Present but not an array, or longer than the limit
  // (kMaxArrayEntries): error and nullptr.
  const nlohmann::json* array(const char* key);
  // Absent: nullptr. Present but not an object: error and nullptr.
  const nlohmann::json* object(const char* key);

  // Value checks for array elements, with the element's path in the error.
  bool element_unsigned(const nlohmann::json& v, std::string_view path, uint64_t& out);
  bool element_string(const nlohmann::json& v, std::string_view path, std::string& out);

 private:
  const nlohmann::json* find(const char* key) const;
  const nlohmann::json& obj_;
  std::string_view what_;
  std::string error_;
};

// "%.16llx" / "%.10llx" identifiers as stock writes them. Parsing accepts
// exactly `digits` hex digits (either case) and refuses zero, which is never
// a valid network ID or address.
bool parse_hex_id(std::string_view s, unsigned digits, uint64_t& out);
std::string format_hex_id(uint64_t v, unsigned digits);

}  // namespace flatnet::control::controller::detail
