// Limits of the controller's records, shared by the model and the stores.
#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace flatnet::control::controller
