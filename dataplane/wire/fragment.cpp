// Fragmentation and reassembly (spec §2.5-2.7).
#include "dataplane/wire/fragment.hpp"

#include <algorithm>
#include <cstring>

namespace flatnet::wire {

void set_fragmented_flag(uint8_t* packet, size_t len, size_t mtu) {
  if (len > mtu)
    packet[kIdxFlags] |= kFlagFragmented;
  else
    packet[kIdxFlags] &= uint8_t(~kFlagFragmented);
}

namespace {

// The head is `chunk0` bytes, fragments carry up to `per` bytes each. With
// `head_buf` (the packet's own buffer) the head is that buffer, truncated
// once the fragments are copied out of it.
std::vector<std::vector<uint8_t>> split_at(std::span<const uint8_t> packet, size_t chunk0,
                                           size_t per, size_t total,
                                           std::vector<uint8_t>* head_buf = nullptr) {
  std::vector<std::vector<uint8_t>> out;
  out.reserve(total);
  size_t remaining = packet.size() - chunk0;
  if (head_buf)
    out.emplace_back();
  else
    out.emplace_back(packet.begin(), packet.begin() + chunk0);
  size_t pos = chunk0;
  for (size_t fno = 1; fno < total; ++fno) {
    const size_t n = std::min(remaining, per);
    std::vector<uint8_t> f(kFragmentHeaderLength + n);
    std::memcpy(f.data() + kFragIdxPacketId, packet.data() + kIdxPacketId, 8);
    std::memcpy(f.data() + kFragIdxDest, packet.data() + kIdxDest, kAddressLength);
    f[kFragIdxIndicator] = kFragmentIndicator;
    f[kFragIdxNo] = uint8_t((total << 4) | fno);
    f[kFragIdxHops] = 0;  // senders write 0; relays increment
    std::memcpy(f.data() + kFragIdxPayload, packet.data() + pos, n);
    out.push_back(std::move(f));
    pos += n;
    remaining -= n;
  }
  if (head_buf) {
    head_buf->resize(chunk0);
    out.front() = std::move(*head_buf);
  }
  return out;
}

// How many datagrams stock's split makes; 0 = refused.
size_t stock_total(size_t len, size_t mtu) {
  if (len < kPacketHeaderLength || mtu <= kFragmentHeaderLength || mtu < kPacketHeaderLength + 1)
    return 0;
  const size_t per = mtu - kFragmentHeaderLength;
  const size_t total = 1 + (len - std::min(len, mtu) + per - 1) / per;
  return total > kMaxFragments ? 0 : total;
}

}  // namespace

std::vector<std::vector<uint8_t>> split_packet(std::span<const uint8_t> packet, size_t mtu) {
  const size_t total = stock_total(packet.size(), mtu);
  if (!total) return {};
  return split_at(packet, std::min(packet.size(), mtu), mtu - kFragmentHeaderLength, total);
}

namespace {

std::vector<std::vector<uint8_t>> split_even(std::span<const uint8_t> packet, size_t mtu,
                                             std::vector<uint8_t>* head_buf) {
  const size_t total = stock_total(packet.size(), mtu);
  if (!total) return {};
  const size_t len = packet.size();
  const size_t stock_head = std::min(len, mtu);
  if (total == 1) return split_at(packet, stock_head, mtu - kFragmentHeaderLength, 1, head_buf);
  // total * S - 16 * (total - 1) >= len; S <= mtu because stock's split fits.
  const size_t s = (len + kFragmentHeaderLength * (total - 1) + total - 1) / total;
  const size_t per = s - kFragmentHeaderLength;
  // The last fragment must not come out empty (only at tiny MTUs): stock's split then.
  if (s < kPacketHeaderLength || s + per * (total - 2) >= len)
    return split_at(packet, stock_head, mtu - kFragmentHeaderLength, total, head_buf);
  return split_at(packet, s, per, total, head_buf);
}

}  // namespace

std::vector<std::vector<uint8_t>> split_packet_even(std::span<const uint8_t> packet, size_t mtu) {
  return split_even(packet, mtu, nullptr);
}

std::vector<std::vector<uint8_t>> split_packet_even(std::vector<uint8_t>&& packet, size_t mtu) {
  return split_even(packet, mtu, &packet);
}

const char* to_string(ReassemblyResult r) {
  switch (r) {
    case ReassemblyResult::kComplete: return "complete";
    case ReassemblyResult::kPending: return "pending";
    case ReassemblyResult::kDuplicate: return "duplicate";
    case ReassemblyResult::kBadFragment: return "bad fragment";
    case ReassemblyResult::kTotalMismatch: return "fragment total mismatch";
    case ReassemblyResult::kTooLong: return "reassembled packet too long";
    case ReassemblyResult::kNotFragmented: return "not fragmented";
  }
  return "?";
}

Reassembler::Reassembler(uint64_t timeout_ms) : timeout_ms_(timeout_ms) {}

void Reassembler::release(Slot& s) {
  s.used = false;
  s.total = 0;
  s.have = 0;
  for (auto& p : s.piece) p.clear();
}

size_t Reassembler::in_use() const {
  size_t n = 0;
  for (const auto& s : slots_) n += s.used;
  return n;
}

size_t Reassembler::expire(uint64_t now_ms) {
  size_t n = 0;
  for (auto& s : slots_) {
    if (s.used && now_ms - s.created_ms > timeout_ms_) {
      release(s);
      ++n;
    }
  }
  counters_.timed_out += n;
  return n;
}

Reassembler::Slot* Reassembler::find_or_claim(uint64_t packet_id, uint64_t path,
                                              uint64_t now_ms) {
  Slot* free_slot = nullptr;
  Slot* oldest = nullptr;
  for (auto& s : slots_) {
    if (s.used && now_ms - s.created_ms > timeout_ms_) {
      release(s);
      ++counters_.timed_out;
    }
    if (s.used && s.packet_id == packet_id && s.path == path) return &s;
    if (!s.used) {
      if (!free_slot) free_slot = &s;
    } else if (!oldest || s.created_ms < oldest->created_ms) {
      oldest = &s;
    }
  }
  Slot* s = free_slot;
  if (!s) {
    s = oldest;
    release(*s);
    ++counters_.evicted;
  }
  s->used = true;
  s->packet_id = packet_id;
  s->path = path;
  s->created_ms = now_ms;
  return s;
}

ReassemblyResult Reassembler::try_complete(Slot& s, std::vector<uint8_t>* out) {
  if (s.total == 0 || s.have != uint8_t((1u << s.total) - 1)) return ReassemblyResult::kPending;
  size_t len = 0;
  for (unsigned i = 0; i < s.total; ++i) len += s.piece[i].size();
  if (len > kMaxPacketLength) {
    release(s);
    ++counters_.bad;
    return ReassemblyResult::kTooLong;
  }
  if (out) {
    out->clear();
    out->reserve(len);
    for (unsigned i = 0; i < s.total; ++i)
      out->insert(out->end(), s.piece[i].begin(), s.piece[i].end());
  }
  release(s);
  ++counters_.completed;
  return ReassemblyResult::kComplete;
}

ReassemblyResult Reassembler::add_head(uint64_t path, std::span<const uint8_t> head,
                                       uint64_t now_ms, std::vector<uint8_t>* out) {
  if (head.size() < kPacketHeaderLength || head.size() > kMaxPacketLength) {
    ++counters_.bad;
    return ReassemblyResult::kBadFragment;
  }
  if (!packet_fragmented(head.data())) return ReassemblyResult::kNotFragmented;
  Slot* s = find_or_claim(packet_id(head.data()), path, now_ms);
  if (s->have & 1u) {
    ++counters_.duplicates;
    return ReassemblyResult::kDuplicate;
  }
  s->piece[0].assign(head.begin(), head.end());
  s->have |= 1u;
  return try_complete(*s, out);
}

ReassemblyResult Reassembler::add_fragment(uint64_t path, std::span<const uint8_t> fragment,
                                           uint64_t now_ms, std::vector<uint8_t>* out) {
  if (fragment.size() <= kFragmentHeaderLength || fragment.size() > kMaxPacketLength ||
      fragment[kFragIdxIndicator] != kFragmentIndicator ||
      !fragment_numbers_valid(fragment.data())) {
    ++counters_.bad;
    return ReassemblyResult::kBadFragment;
  }
  const unsigned total = fragment_total(fragment.data());
  const unsigned no = fragment_number(fragment.data());
  Slot* s = find_or_claim(fragment_packet_id(fragment.data()), path, now_ms);
  if (s->total != 0 && s->total != total) {
    ++counters_.bad;
    return ReassemblyResult::kTotalMismatch;
  }
  if (s->have & (1u << no)) {
    ++counters_.duplicates;
    return ReassemblyResult::kDuplicate;
  }
  s->total = total;
  s->piece[no].assign(fragment.begin() + kFragIdxPayload, fragment.end());
  s->have |= uint8_t(1u << no);
  return try_complete(*s, out);
}

ReassemblyResult Reassembler::add(uint64_t path, std::span<const uint8_t> datagram,
                                  uint64_t now_ms, std::vector<uint8_t>* out) {
  switch (classify(datagram.data(), datagram.size())) {
    case DatagramKind::kFragment: return add_fragment(path, datagram, now_ms, out);
    case DatagramKind::kPacket: return add_head(path, datagram, now_ms, out);
    default:
      ++counters_.bad;
      return ReassemblyResult::kBadFragment;
  }
}

}  // namespace flatnet::wire
