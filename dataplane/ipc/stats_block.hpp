// Internal to dataplane/ipc: the counters block of abi.h (layout, the one
// writer, the untrusting reader), shared by service.cpp and client.cpp and
// usable on any memory (the tests build blocks in plain buffers). No DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/ipc/abi.h"
#include "dataplane/ipc/client.hpp"

namespace flatnet::ipc::stats {

inline constexpr size_t kHeadSize = sizeof(flatnet_ipc_stats_head);

// Bytes a block of max_entries names and `columns` values per entry needs
// (a multiple of 64).
uint64_t block_bytes(uint32_t max_entries, uint32_t columns);

// A name the block may hold: 1..NAME_SIZE-1 characters of [a-z0-9_],
// not starting with a digit.
bool legal_name(const char* s, size_t n);

// "" if d describes a block that lies inside a segment of seg_size bytes
// with n_channels channels; otherwise the reason.
std::string check_desc(const flatnet_ipc_stats_desc& d, uint32_t n_channels, uint64_t seg_size);

// ---- the writer (one thread of one process) ------------------------------
// Writes the names (and zero values) under the seqlock. false + *err for a
// bad or repeated name, or more names than d.max_entries.
bool define(uint8_t* block, const flatnet_ipc_stats_desc& d, const std::vector<std::string>& names,
            std::string* err);
// Stores n_entries rows of d.columns values (row-major) under the seqlock.
void publish(uint8_t* block, const flatnet_ipc_stats_desc& d, const uint64_t* rows,
             uint32_t n_entries, uint64_t now_ns);

// ---- the reader ------------------------------------------------------------
// block: block_len readable bytes nobody vouches for. Copies between two equal
// even reads of seq, at most max_tries times (backing off from yields to
// 50 us sleeps), then validates the copy. false + *err on a block that stays
// mid-write or holds garbage; never reads outside [block, block + block_len).
bool read(const uint8_t* block, size_t block_len, const flatnet_ipc_stats_desc& d,
          CounterSnapshot* out, std::string* err, unsigned max_tries = 200);

}  // namespace flatnet::ipc::stats
