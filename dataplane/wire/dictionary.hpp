// The key=value text dictionary of spec §10.2 (stock node/Dictionary.hpp):
// network configs, config request metadata and networks.d/<nwid>.conf.
//
// Entries are separated by LF (readers also split at CR); a value is escaped
// so it never holds NUL, CR, LF, '\' or '=' (as \0 \r \n \\ \e), which lets
// binary blobs (COMs, rules, routes, ...) live in the same text. Lookups
// return the first entry with the key, as stock's get() does. Parsing is
// bounded by a capacity and an entry count; nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flatnet::wire {

// Stock's ZT_NETWORKCONFIG_DICT_CAPACITY on x86-64 (spec §4.12): the
// buffer size including the terminating NUL, so text is at most one less.
inline constexpr size_t kNetworkConfigDictCapacity = 484520;
// ZT_NETWORKCONFIG_METADATA_DICT_CAPACITY: NETWORK_CONFIG_REQUEST metadata.
inline constexpr size_t kMetadataDictCapacity = 1024;
// Our own bound on entries (a config has about 25); keeps a hostile
// 480 KB of "a=\n" from becoming 160,000 allocations.
inline constexpr size_t kDictionaryMaxEntries = 1024;

enum class DictStatus : uint8_t {
  kOk = 0,
  kTooLong,         // text (or encoding) does not fit capacity - 1 bytes
  kEmbeddedNul,     // a NUL byte in the text (stock would stop reading there)
  kTooManyEntries,  // over kDictionaryMaxEntries
  kBadKey,          // encode: empty key, or one holding '=', CR, LF or NUL
};
const char* to_string(DictStatus s);

class Dictionary {
 public:
  struct Entry {
    std::string key;
    std::string value;  // unescaped bytes; may be binary
    bool operator==(const Entry&) const = default;
  };

  // The first entry's value for `key`, or nullptr.
  const std::string* get(std::string_view key) const;
  // Stock getUI: a hex number (leading blanks and 0x allowed, stops at the
  // first non-hex digit, saturates); `dfl` if absent or empty.
  uint64_t get_u64(std::string_view key, uint64_t dfl = 0) const;
  // Stock getI: as get_u64 with an optional leading '-'.
  int64_t get_i64(std::string_view key, int64_t dfl = 0) const;
  // Stock getB: true iff the value starts with '1', 't' or 'T'.
  bool get_bool(std::string_view key, bool dfl = false) const;
  std::span<const uint8_t> get_bytes(std::string_view key) const;  // empty if absent

  // Appends an entry (a second one with the same key is kept but never
  // returned by get, as in stock). Keys are checked when encoding.
  void add(std::string_view key, std::string_view value);
  void add(std::string_view key, std::span<const uint8_t> value);
  void add_u64(std::string_view key, uint64_t v);      // exactly 16 hex digits
  void add_i64(std::string_view key, int64_t v);       // '-' + 16 digits if negative
  void add_address(std::string_view key, uint64_t a);  // exactly 10 hex digits
  void add_bool(std::string_view key, bool v);         // "1" / "0"

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  bool operator==(const Dictionary&) const = default;

 private:
  std::vector<Entry> entries_;
};

// Parses dictionary text (no terminating NUL) that must fit a stock buffer
// of `capacity` bytes. Lines without '=' are ignored, as stock never
// matches them; empty lines are skipped.
DictStatus parse_dictionary(std::span<const uint8_t> text, Dictionary& out,
                            size_t capacity = kNetworkConfigDictCapacity);

// Appends the text form (entries joined by LF, no trailing LF) to `out`.
// Leaves `out` unchanged on failure.
DictStatus encode_dictionary(const Dictionary& d, std::vector<uint8_t>& out,
                             size_t capacity = kNetworkConfigDictCapacity);

}  // namespace flatnet::wire
