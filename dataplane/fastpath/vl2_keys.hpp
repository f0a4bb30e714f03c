// The key sets of a burst, looked up at once and pulled into the cache
// before the burst's crypto. With thousands of peers each packet's key set
// is cold: one rte_hash lookup per peer waited for memory twice (bucket,
// then key), and the crypto then waited again for the PeerKey and for the
// AES-GMAC-SIV schedules and GHASH tables (about 1.5 KB a peer for suite 3).
// Issued together, those misses overlap instead of adding up.
#pragma once

#include <rte_prefetch.h>

#include <cstdint>

#include "crypto/mb/aes_keys.hpp"
#include "dataplane/tables/vl2_tables.hpp"

namespace flatnet::fastpath {

// keys[i] for addrs[i] (nullptr: none installed), n <= 64, then the key
// material of every hit prefetched: first the PeerKey objects, then (their
// pointers now on the way) the AES key sets of the suite-3 ones.
inline void vl2_keys_burst(const tables::vl2::Vl2Tables& t, const uint64_t* addrs, unsigned n,
                           const tables::vl2::PeerKey** keys) {
  // One lookup per run of one peer (a burst from one peer: one lookup).
  uint64_t runs[64];
  const tables::vl2::PeerKey* found[64];
  unsigned nr = 0;
  for (unsigned i = 0; i < n && i < 64; ++i)
    if (nr == 0 || addrs[i] != runs[nr - 1]) runs[nr++] = addrs[i];
  t.key_burst(runs, nr, found);
  for (unsigned i = 0, r = 0; i < n && i < 64; ++i) {
    if (i && addrs[i] != addrs[i - 1]) ++r;
    keys[i] = found[r];
  }
  for (unsigned i = 0; i < n; ++i)
    if (keys[i]) rte_prefetch0(keys[i]);
  for (unsigned i = 0; i < n; ++i) {
    if (!keys[i] || keys[i]->suite != crypto::Suite::kAesGmacSiv) continue;
    if (i && keys[i] == keys[i - 1]) continue;  // a run of one peer: once
    const auto* a = reinterpret_cast<const uint8_t*>(&keys[i]->keys.aes());
    for (size_t off = 0; off < sizeof(crypto::mb::PeerKeyset::Aes); off += RTE_CACHE_LINE_SIZE)
      rte_prefetch0(a + off);
  }
}

}  // namespace flatnet::fastpath
