// Dictionary text codec (see dictionary.hpp).
#include "dataplane/wire/dictionary.hpp"

#include "dataplane/wire/hex.hpp"

#include <limits>

namespace flatnet::wire {

const char* to_string(DictStatus s) {
  switch (s) {
    case DictStatus::kOk: return "ok";
    case DictStatus::kTooLong: return "dictionary too long";
    case DictStatus::kEmbeddedNul: return "NUL byte in dictionary";
    case DictStatus::kTooManyEntries: return "too many dictionary entries";
    case DictStatus::kBadKey: return "bad dictionary key";
  }
  return "?";
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strtoull(s, 0, 16) without the locale: blanks, optional sign, optional
// 0x, digits up to the first non-digit; saturates on overflow.
uint64_t parse_hex(std::string_view s, bool* negative) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  *negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) *negative = s[i++] == '-';
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
      i + 2 < s.size() && hex_digit(s[i + 2]) >= 0)
    i += 2;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const int d = hex_digit(s[i]);
    if (d < 0) break;
    if (v > (std::numeric_limits<uint64_t>::max() >> 4)) return std::numeric_limits<uint64_t>::max();
    v = (v << 4) | uint64_t(d);
  }
  return v;
}

bool key_ok(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (c == '=' || c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

}  // namespace

const std::string* Dictionary::get(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}

uint64_t Dictionary::get_u64(std::string_view key, uint64_t dfl) const {
  const std::string* v = get(key);
  if (!v || v->empty()) return dfl;
  bool neg = false;
  const uint64_t x = parse_hex(*v, &neg);
  return neg ? uint64_t(0) - x : x;
}

int64_t Dictionary::get_i64(std::string_view key, int64_t dfl) const {
  const std::string* v = get(key);
  if (!v || v->empty()) return dfl;
  bool neg = false;
  const uint64_t x = parse_hex(*v, &neg);
  // Negated in unsigned arithmetic: "-8000000000000000" is INT64_MIN, not UB.
  return int64_t(neg ? uint64_t(0) - x : x);
}

bool Dictionary::get_bool(std::string_view key, bool dfl) const {
  const std::string* v = get(key);
  if (!v) return dfl;
  return !v->empty() && ((*v)[0] == '1' || (*v)[0] == 't' || (*v)[0] == 'T');
}

std::span<const uint8_t> Dictionary::get_bytes(std::string_view key) const {
  const std::string* v = get(key);
  if (!v) return {};
  return {reinterpret_cast<const uint8_t*>(v->data()), v->size()};
}

void Dictionary::add(std::string_view key, std::string_view value) {
  entries_.push_back({std::string(key), std::string(value)});
}

void Dictionary::add(std::string_view key, std::span<const uint8_t> value) {
  add(key, std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}

void Dictionary::add_u64(std::string_view key, uint64_t v) {
  const std::string h = hex_id(v);  // 16 digits, as stock writes them
  add(key, std::string_view(h));
}

void Dictionary::add_i64(std::string_view key, int64_t v) {
  if (v >= 0) return add_u64(key, uint64_t(v));
  const std::string h = "-" + hex_id(uint64_t(0) - uint64_t(v));
  add(key, std::string_view(h));
}

void Dictionary::add_address(std::string_view key, uint64_t a) {
  const std::string h = hex_address(a);
  add(key, std::string_view(h));
}

void Dictionary::add_bool(std::string_view key, bool v) { add(key, v ? "1" : "0"); }

DictStatus parse_dictionary(std::span<const uint8_t> text, Dictionary& out, size_t capacity) {
  if (capacity == 0 || text.size() > capacity - 1) return DictStatus::kTooLong;
  std::vector<Dictionary::Entry> entries;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // One line: up to the next CR or LF.
    size_t end = i;
    while (end < n && text[end] != '\n' && text[end] != '\r') {
      if (text[end] == 0) return DictStatus::kEmbeddedNul;
      ++end;
    }
    size_t eq = i;
    while (eq < end && text[eq] != '=') ++eq;
    if (eq < end) {
      if (entries.size() == kDictionaryMaxEntries) return DictStatus::kTooManyEntries;
      Dictionary::Entry e;
      e.key.assign(reinterpret_cast<const char*>(text.data()) + i, eq - i);
      e.value.reserve(end - eq - 1);
      bool esc = false;
      for (size_t j = eq + 1; j < end; ++j) {
        const char c = char(text[j]);
        if (esc) {
          esc = false;
          switch (c) {
            case 'r': e.value.push_back('\r'); break;
            case 'n': e.value.push_back('\n'); break;
            case '0': e.value.push_back('\0'); break;
            case 'e': e.value.push_back('='); break;
            default: e.value.push_back(c); break;  // \\ and any other: the char
          }
        } else if (c == '\\') {
          esc = true;  // a trailing lone backslash is dropped, as stock does
        } else {
          e.value.push_back(c);
        }
      }
      entries.push_back(std::move(e));
    }
    i = end + 1;  // skip the one separator (empty lines are just skipped)
  }
  out = Dictionary();
  for (auto& e : entries) out.add(e.key, e.value);
  return DictStatus::kOk;
}

DictStatus encode_dictionary(const Dictionary& d, std::vector<uint8_t>& out, size_t capacity) {
  std::vector<uint8_t> t;
  for (const auto& e : d.entries()) {
    if (!key_ok(e.key)) return DictStatus::kBadKey;
    if (!t.empty()) t.push_back('\n');
    t.insert(t.end(), e.key.begin(), e.key.end());
    t.push_back('=');
    for (char c : e.value) {
      switch (c) {
        case '\0': t.push_back('\\'); t.push_back('0'); break;
        case '\r': t.push_back('\\'); t.push_back('r'); break;
        case '\n': t.push_back('\\'); t.push_back('n'); break;
        case '\\': t.push_back('\\'); t.push_back('\\'); break;
        case '=': t.push_back('\\'); t.push_back('e'); break;
        default: t.push_back(uint8_t(c)); break;
      }
    }
    if (capacity == 0 || t.size() > capacity - 1) return DictStatus::kTooLong;
  }
  out.insert(out.end(), t.begin(), t.end());
  return DictStatus::kOk;
}

}  // namespace flatnet::wire
