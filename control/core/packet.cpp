// Packet assembly and opening for the control core (spec §2.5, §3, §2.4).
#include "control/core/packet.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "dataplane/wire/compress.hpp"
#include "dataplane/wire/fragment.hpp"

namespace flatnet::control {

PacketBuilder::PacketBuilder(uint64_t dest, uint64_t source, wire::Verb verb, uint64_t packet_id,
                             size_t payload_hint)
    : w_(buf_, wire::kMaxPacketLength) {
  buf_.reserve(wire::kPacketHeaderLength + std::min(payload_hint, wire::kMaxPacketLength));
  buf_.resize(wire::kPacketHeaderLength);
  uint8_t* p = buf_.data();
  wire::write_be64(p + wire::kIdxPacketId, packet_id);
  wire::write_addr40(p + wire::kIdxDest, dest);
  wire::write_addr40(p + wire::kIdxSource, source);
  p[wire::kIdxVerb] = uint8_t(verb);
}

std::vector<std::vector<uint8_t>> PacketBuilder::seal(const crypto::PeerKeys& keys,
                                                      crypto::Suite suite, size_t mtu) {
  if (!w_.ok()) return {};
  // The flag is authenticated, so it must be final before armor (pitfall 1).
  wire::set_fragmented_flag(buf_.data(), buf_.size(), mtu);
  crypto::armor(buf_, keys, suite);
  return split_sealed(std::move(buf_), mtu);
}

std::vector<uint8_t> PacketBuilder::take_unsealed(size_t mtu) {
  if (!w_.ok()) return {};
  wire::set_fragmented_flag(buf_.data(), buf_.size(), mtu);
  return std::move(buf_);
}

void armor_packets(std::span<Unsealed> pkts) {
  // One burst per suite (armor_burst takes one suite; keys are per packet).
  // thread_local: the staging array keeps its capacity from turn to turn.
  thread_local std::vector<crypto::mb::Packet> burst;
  for (crypto::Suite suite : {crypto::Suite::kPoly1305, crypto::Suite::kSalsa2012Poly1305,
                              crypto::Suite::kAesGmacSiv}) {
    burst.clear();
    for (Unsealed& u : pkts)
      if (u.suite == suite && !u.bytes.empty())
        burst.push_back({u.bytes.data(), uint32_t(u.bytes.size()), u.keys.get()});
    if (!burst.empty()) crypto::mb::armor_burst(burst, suite);
  }
}

std::vector<std::vector<uint8_t>> split_sealed(std::vector<uint8_t>&& packet, size_t mtu) {
  // Equal-size datagrams (as many as stock's split makes): packets of one
  // length, e.g. full-size TCP frames, then give runs of one datagram size
  // that the UDP backend sends as one GSO message. Stock joins any split.
  // The head keeps the packet's buffer (no copy for an unfragmented one).
  return wire::split_packet_even(std::move(packet), mtu);
}

uint64_t random_packet_id() {
  // Ids come from the kernel's CSPRNG in blocks of kIdPool: one getrandom
  // per packet was ~9 % of a sending member's CPU under iperf3
  // (docs/bench-member.md). Each id is still 64 unpredictable bits, used
  // once; the pool is per thread, so no lock and no id handed out twice.
  constexpr size_t kIdPool = 64;
  thread_local std::array<uint64_t, kIdPool> pool{};
  thread_local size_t left = 0;
  if (left == 0) {
    randombytes_buf(pool.data(), sizeof pool);
    left = kIdPool;
  }
  const uint64_t id = pool[--left];
  pool[left] = 0;  // not kept around once used
  return id;
}

OpenStatus open_packet(std::vector<uint8_t>& packet, const crypto::PeerKeys& keys) {
  if (packet.size() < wire::kPacketHeaderLength) return OpenStatus::kTooShort;
  switch (crypto::dearmor(packet, keys)) {
    case crypto::DearmorResult::kOk: break;
    case crypto::DearmorResult::kTooShort: return OpenStatus::kTooShort;
    case crypto::DearmorResult::kBadMac: return OpenStatus::kBadMac;
    case crypto::DearmorResult::kUnsupportedCipher: return OpenStatus::kUnsupportedCipher;
  }
  return inflate_packet(packet);
}

OpenStatus inflate_packet(std::vector<uint8_t>& packet) {
  if (!(packet[wire::kIdxVerb] & wire::kVerbFlagCompressed)) return OpenStatus::kOk;
  // A compressed packet is at most 10024 bytes on the wire; growing the
  // buffer to that (never shrinking it below the input) gives the
  // decompressor the buffer's real size.
  size_t len = packet.size();
  if (len > wire::kMaxPacketLength) return OpenStatus::kDecompressFailed;
  packet.resize(wire::kMaxPacketLength);
  auto st = wire::decompress_packet(packet.data(), len, packet.size());
  packet.resize(st == wire::DecompressStatus::kOk ? len : 0);
  return st == wire::DecompressStatus::kOk ? OpenStatus::kOk : OpenStatus::kDecompressFailed;
}

}  // namespace flatnet::control
