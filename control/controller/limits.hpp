// Limits of the controller's records, shared by the model and the stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flatnet::control::controller {

// Stock's ZT_CONTROLLER_MAX_ARRAY_SIZE. Stock silently truncates a longer
// array; flatnet refuses the record instead (documented difference), so a
// stored record is never a cut-down version of what was sent.
inline constexpr std::size_t kMaxArrayEntries = 16384;
// A record's JSON text; far above any real network (16,384 rules of a few
// hundred bytes each), it only bounds what one bad input can make us hold.
inline constexpr std::size_t kMaxRecordBytes = 16u << 20;
// Stock's defaults (ZT_DEFAULT_MTU, DB::initNetwork).
inline constexpr uint64_t kDefaultMtu = 2800;
inline constexpr uint64_t kDefaultMulticastLimit = 32;

// How deep a record's (or an API body's) arrays and objects may nest.
// Stock's records nest five levels (network, capabilities, rules, a rule,
// its fields); deeper text is refused before parsing, because rendering or
// comparing JSON recurses once per level and a few hundred thousand levels
// (a 16 MiB record of '[') overflow a thread's stack.
inline constexpr std::size_t kMaxJsonDepth = 64;

// True if no array or object in `text` nests deeper than `max_depth`
// (strings skipped; a scan, no parse).
inline bool json_nesting_within(std::string_view text, std::size_t max_depth = kMaxJsonDepth) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace flatnet::control::controller
