// Private to dataplane/tables/vl2_*.cpp: key layouts, the defer-queue
// element, and the MAC table's writer-side LRU.
#pragma once

#include <rte_hash_crc.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::tables::vl2::detail {

inline constexpr uint64_t kAddr40 = 0xffffffffffull;
inline constexpr uint64_t kMac48 = 0xffffffffffffull;

// Keys: a member is (slot << 40 | address), a MAC (slot << 48 | MAC), a
// multicast group (slot << 48 | MAC, ADI).
inline uint64_t member_key(unsigned slot, uint64_t addr) { return uint64_t(slot) << 40 | (addr & kAddr40); }
inline uint64_t mac_key(unsigned slot, uint64_t mac48) { return uint64_t(slot) << 48 | (mac48 & kMac48); }
struct GroupKey {
  uint64_t slot_mac;
  uint64_t adi;  // u32 ADI widened so the key has no padding bytes
};
static_assert(sizeof(GroupKey) == 16);

inline uint64_t load64(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t sig8(uint64_t k) { return rte_hash_crc_8byte(k, 0); }
// rte_hash's defaults loop over the key length; these are the fixed forms.
inline uint32_t key8_hash(const void* key, uint32_t, uint32_t init) { return rte_hash_crc_8byte(load64(key), init); }
inline int key8_cmp(const void* a, const void* b, size_t) { return load64(a) != load64(b); }

// What a retired element frees after its grace period.
enum : uint8_t { kRetSlot = 0, kRetKey = 1, kRetSubs = 2, kRetNet = 3, kRetRules = 4, kRetCreds = 5 };
enum : uint8_t { kHashMembers = 0, kHashMacs = 1, kHashKeys = 2, kHashGroups = 3, kHashCreds = 4 };
struct Retired {
  void* ptr;        // object to delete (kind `what`), or nullptr
  int32_t key_pos;  // key position to free in hash `hash`, or -1
  uint8_t what;
  uint8_t hash;
  uint16_t pad;
};
static_assert(sizeof(Retired) == 16, "defer queue element");

}  // namespace flatnet::tables::vl2::detail

namespace flatnet::tables::vl2 {

// Per-network doubly linked lists over the MAC hash's key positions, oldest
// first, with the writer's own last-seen second per position. Only the
// writer touches it.
struct Vl2Tables::MacLru {
  static constexpr uint32_t kNil = ~0u;
  explicit MacLru(uint32_t n_pos)
      : prev(n_pos, kNil), next(n_pos, kNil), seen(n_pos, 0), key(n_pos, 0), pinned(n_pos, 0), linked(n_pos, 0) {
    for (unsigned s = 0; s < kMaxNetworks; ++s) reset_slot(s);
  }
  std::vector<uint32_t> prev, next, seen;
  std::vector<uint64_t> key;
  std::vector<uint8_t> pinned, linked;
  uint32_t head[kMaxNetworks], tail[kMaxNetworks], count[kMaxNetworks];
  uint32_t pinned_count[kMaxNetworks];  // control's routes, outside the lists

  void reset_slot(unsigned s) {
    head[s] = tail[s] = kNil;
    count[s] = pinned_count[s] = 0;
  }
  void unlink(uint32_t pos) {
    if (!linked[pos]) return;
    unsigned s = unsigned(key[pos] >> 48);
    if (prev[pos] != kNil) next[prev[pos]] = next[pos];
    else head[s] = next[pos];
    if (next[pos] != kNil) prev[next[pos]] = prev[pos];
    else tail[s] = prev[pos];
    prev[pos] = next[pos] = kNil;
    linked[pos] = 0;
    --count[s];
  }
  void push_back(uint32_t pos, uint64_t k, uint32_t now_s) {
    unlink(pos);
    unsigned s = unsigned(k >> 48);
    key[pos] = k;
    seen[pos] = now_s;
    prev[pos] = tail[s];
    next[pos] = kNil;
    if (tail[s] != kNil) next[tail[s]] = pos;
    else head[s] = pos;
    tail[s] = pos;
    linked[pos] = 1;
    ++count[s];
  }
};

}  // namespace flatnet::tables::vl2
