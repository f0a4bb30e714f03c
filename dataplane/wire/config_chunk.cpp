// Network config chunking, signing and reassembly (see config_chunk.hpp).
#include "dataplane/wire/config_chunk.hpp"

#include <algorithm>

#include "dataplane/wire/bytes.hpp"

namespace flatnet::wire {

const char* to_string(ChunkStatus s) {
  switch (s) {
    case ChunkStatus::kOk: return "ok";
    case ChunkStatus::kTruncated: return "config chunk truncated";
    case ChunkStatus::kLegacyUnsigned: return "legacy unsigned config";
    case ChunkStatus::kBadBounds: return "config chunk outside its total length";
    case ChunkStatus::kBadSignatureType: return "config chunk signature not Ed25519/96";
  }
  return "?";
}

const char* to_string(ConfigAssembler::Result r) {
  using R = ConfigAssembler::Result;
  switch (r) {
    case R::kPending: return "pending";
    case R::kComplete: return "complete";
    case R::kBadChunk: return "bad chunk";
    case R::kWrongNetwork: return "wrong network";
    case R::kBadSignature: return "bad signature";
    case R::kDuplicate: return "duplicate chunk";
    case R::kOverlap: return "overlapping chunk";
    case R::kTooManyChunks: return "too many chunks";
  }
  return "?";
}

ChunkStatus parse_config_chunk(std::span<const uint8_t> payload, ConfigChunk& out) {
  out = ConfigChunk();
  Reader r(payload);
  out.network_id = r.u64();
  const uint16_t len = r.u16();
  out.data = r.view(len);
  if (!r.ok()) return ChunkStatus::kTruncated;
  if (r.remaining() == 0) return ChunkStatus::kLegacyUnsigned;
  out.flags = r.u8();
  out.update_id = r.u64();
  out.total_length = r.u32();
  out.index = r.u32();
  if (!r.ok()) return ChunkStatus::kTruncated;
  out.signed_bytes = payload.first(r.position());
  // ">=" because stock needs room for a terminating NUL.
  if (uint64_t(out.index) + len > out.total_length || out.total_length >= kNetworkConfigDictCapacity)
    return ChunkStatus::kBadBounds;
  const uint8_t sig_type = r.u8();
  const uint16_t sig_len = r.u16();
  if (!r.ok()) return ChunkStatus::kTruncated;
  if (sig_type != 1 || sig_len != out.signature.size()) return ChunkStatus::kBadSignatureType;
  r.bytes(out.signature.data(), out.signature.size());
  return r.ok() ? ChunkStatus::kOk : ChunkStatus::kTruncated;
}

std::vector<std::vector<uint8_t>> make_config_chunks(uint64_t network_id,
                                                     std::span<const uint8_t> dict,
                                                     uint64_t update_id,
                                                     const crypto::Identity& controller,
                                                     uint8_t flags, size_t chunk_data) {
  std::vector<std::vector<uint8_t>> out;
  if (dict.empty() || dict.size() >= kNetworkConfigDictCapacity || update_id == 0 ||
      !controller.has_private() || chunk_data == 0 || chunk_data > 0xffff)
    return out;
  for (size_t at = 0; at < dict.size(); at += chunk_data) {
    const size_t n = std::min(chunk_data, dict.size() - at);
    std::vector<uint8_t> p;
    p.reserve(kConfigChunkOverhead + n);
    Writer w(p);
    w.u64(network_id);
    w.u16(uint16_t(n));
    w.bytes(dict.subspan(at, n));
    w.u8(flags);
    w.u64(update_id);
    w.u32(uint32_t(dict.size()));
    w.u32(uint32_t(at));
    const auto sig = controller.sign(p);
    w.u8(1);
    w.u16(uint16_t(sig.size()));
    w.bytes(sig.data(), sig.size());
    out.push_back(std::move(p));
  }
  return out;
}

size_t ConfigAssembler::in_progress() const {
  return size_t(std::count_if(slots_.begin(), slots_.end(),
                              [](const Slot& s) { return s.update_id != 0; }));
}

ConfigAssembler::Result ConfigAssembler::add(std::span<const uint8_t> payload,
                                             const crypto::Identity& controller,
                                             std::vector<uint8_t>* dict, uint64_t* update_id,
                                             ConfigChunk* chunk_out) {
  ConfigChunk c;
  if (parse_config_chunk(payload, c) != ChunkStatus::kOk) return Result::kBadChunk;
  // Update ID 0 marks a free slot here; stock controllers never send it.
  if (c.update_id == 0) return Result::kBadChunk;
  if (c.network_id != network_id_) return Result::kWrongNetwork;
  if (chunk_out) *chunk_out = c;

  // Find this update's slot, or recycle the oldest (stock does the same).
  Slot* slot = nullptr;
  for (auto& s : slots_)
    if (s.update_id == c.update_id && s.update_id != 0) slot = &s;
  if (slot) {
    for (const auto& [i, n] : slot->pieces)
      if (i == c.index && n == c.data.size()) return Result::kDuplicate;
  }
  // Verify before anything is stored or allocated.
  if (!controller.verify(c.signed_bytes, c.signature)) return Result::kBadSignature;

  if (!slot) {
    slot = &slots_[0];
    for (auto& s : slots_)
      if (s.update_id == 0 || (slot->update_id != 0 && s.age < slot->age)) {
        slot = &s;
        if (s.update_id == 0) break;
      }
    *slot = Slot();
    slot->update_id = c.update_id;
    slot->total = c.total_length;
    slot->data.assign(c.total_length, 0);
  }
  slot->age = ++clock_;
  if (c.total_length != slot->total) return Result::kOverlap;
  const uint64_t a = c.index, b = a + c.data.size();
  for (const auto& [i, n] : slot->pieces)
    if (a < uint64_t(i) + n && uint64_t(i) < b) return Result::kOverlap;
  if (slot->pieces.size() >= kConfigMaxChunksPerUpdate) return Result::kTooManyChunks;
  slot->pieces.emplace_back(c.index, uint32_t(c.data.size()));
  std::copy(c.data.begin(), c.data.end(), slot->data.begin() + c.index);
  slot->have += uint32_t(c.data.size());
  if (slot->have < slot->total) return Result::kPending;

  if (dict) *dict = std::move(slot->data);
  if (update_id) *update_id = slot->update_id;
  *slot = Slot();
  return Result::kComplete;
}

}  // namespace flatnet::wire
