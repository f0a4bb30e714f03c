// The chunked, signed form a network config travels in (spec §4.12, §4.13,
// §10.4): the payload of OK(NETWORK_CONFIG_REQUEST) after the in-re fields,
// and the whole payload of NETWORK_CONFIG.
//
//   u64 nwid | u16 C | C bytes of dictionary text | u8 flags (0x01 fast
//   propagate) | u64 updateId | u32 totalLength | u32 index
//   | u8 1 | u16 96 | signature by the controller over everything before it
//
// The controller side splits a dictionary into such chunks and signs each;
// the member side (ConfigAssembler) verifies every chunk against the
// controller's identity and rebuilds the text, at most three updates at a
// time, with every length bounded before anything is allocated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/identity.hpp"
#include "dataplane/wire/dictionary.hpp"

namespace flatnet::wire {

// Stock's chunk size: ZT_PROTO_MAX_PACKET_LENGTH - (ZT_PACKET_IDX_PAYLOAD + 256).
inline constexpr size_t kConfigChunkMaxData = 9740;
inline constexpr size_t kConfigChunkOverhead = 8 + 2 + 1 + 8 + 4 + 4 + 1 + 2 + 96;  // 126
inline constexpr size_t kConfigMaxIncomingUpdates = 3;  // ZT_NETWORK_MAX_INCOMING_UPDATES
// ZT_NETWORK_MAX_UPDATE_CHUNKS
inline constexpr size_t kConfigMaxChunksPerUpdate = kNetworkConfigDictCapacity / 1024 + 1;
inline constexpr uint8_t kConfigChunkFlagFastPropagate = 0x01;

struct ConfigChunk {
  uint64_t network_id = 0;
  std::span<const uint8_t> data;    // this chunk's dictionary bytes (a view into the input)
  uint8_t flags = 0;
  uint64_t update_id = 0;
  uint32_t total_length = 0;
  uint32_t index = 0;
  std::span<const uint8_t> signed_bytes;  // nwid .. index, what the signature covers
  crypto::Signature signature{};
};

enum class ChunkStatus : uint8_t {
  kOk = 0,
  kTruncated,        // ends inside a field
  kLegacyUnsigned,   // ends right after the data: pre-1.2 single unsigned chunk
  kBadBounds,        // index + C > total, or total >= the dictionary capacity
  kBadSignatureType, // not type 1 / length 96
};
const char* to_string(ChunkStatus s);

// Parses one chunk at the start of `payload`.
ChunkStatus parse_config_chunk(std::span<const uint8_t> payload, ConfigChunk& out);

// The controller side: splits `dict` (dictionary text) into signed chunk
// payloads of at most `chunk_data` text bytes each. `update_id` must not be
// 0 (stock draws it at random). Empty result if the text is empty or too
// long, or `controller` has no private key.
std::vector<std::vector<uint8_t>> make_config_chunks(uint64_t network_id,
                                                     std::span<const uint8_t> dict,
                                                     uint64_t update_id,
                                                     const crypto::Identity& controller,
                                                     uint8_t flags = 0,
                                                     size_t chunk_data = kConfigChunkMaxData);

// The member side, one per network.
class ConfigAssembler {
 public:
  enum class Result : uint8_t {
    kPending = 0,   // verified and stored; more chunks to come
    kComplete,      // verified; *dict holds the whole text
    kBadChunk,      // does not parse (see ChunkStatus), legacy unsigned, or update ID 0
    kWrongNetwork,  // another network's chunk
    kBadSignature,  // does not verify with the controller's identity
    kDuplicate,     // this exact chunk was already stored
    kOverlap,       // overlaps another chunk of the update (or contradicts its total)
    kTooManyChunks, // over kConfigMaxChunksPerUpdate
  };

  explicit ConfigAssembler(uint64_t network_id) : network_id_(network_id) {}

  // `controller` is the identity of network_id >> 24 (the caller has it,
  // or it could not have asked). On kComplete, *dict receives the text and
  // *update_id the update it belongs to, and the slot is freed.
  Result add(std::span<const uint8_t> payload, const crypto::Identity& controller,
             std::vector<uint8_t>* dict, uint64_t* update_id = nullptr,
             ConfigChunk* chunk = nullptr);

  size_t in_progress() const;

 private:
  struct Slot {
    uint64_t update_id = 0;  // 0: free
    uint64_t age = 0;        // higher is newer
    uint32_t total = 0;
    uint32_t have = 0;
    std::vector<std::pair<uint32_t, uint32_t>> pieces;  // (index, length)
    std::vector<uint8_t> data;
  };

  uint64_t network_id_;
  uint64_t clock_ = 0;
  std::array<Slot, kConfigMaxIncomingUpdates> slots_{};
};

const char* to_string(ConfigAssembler::Result r);

}  // namespace flatnet::wire
