#include "tools/pktgen/vl2_traffic.hpp"

#include <algorithm>
#include <cstring>

#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace flatnet::pktgen::vl2 {

namespace {

namespace w = flatnet::wire;
namespace v2 = flatnet::wire::vl2;

constexpr uint32_t kMagic = 0x464e4757;  // "FNGW"
constexpr size_t kStamp = 8;             // magic, frame index

void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// The Ethernet payload of frame i: stamp, then byte j = index + j.
void fill_data(uint8_t* d, size_t n, uint32_t i) {
  for (size_t j = kStamp; j < n; ++j) d[j] = uint8_t(i + j);
  put32(d, kMagic);
  put32(d + 4, i);
}
bool data_ok(const uint8_t* d, size_t n, uint32_t i) {
  // The stamp, and the bytes in the middle and at the end (a cheap check
  // that runs for every frame back; dearmor_check compares everything).
  return n >= kStamp && get32(d) == kMagic && get32(d + 4) == i &&
         (n == kStamp || (d[n - 1] == uint8_t(i + n - 1) && d[n / 2 + kStamp / 2] == uint8_t(i + n / 2 + kStamp / 2)));
}

// Outer Ethernet/IPv4/UDP headers in front of `payload` bytes.
std::vector<uint8_t> outer(const Mac& dst_mac, const Mac& src_mac, uint32_t src_ip, uint16_t src_port,
                           uint32_t dst_ip, uint16_t dst_port, size_t payload) {
  std::vector<uint8_t> f(kOuterLen + payload);
  std::memcpy(f.data(), dst_mac.data(), 6);
  std::memcpy(f.data() + 6, src_mac.data(), 6);
  put16(f.data() + 12, 0x0800);
  uint8_t* ip = f.data() + kEthLen;
  ip[0] = 0x45;
  put16(ip + 2, uint16_t(kIpv4Len + kUdpLen + payload));
  put16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 12, src_ip);
  put32(ip + 16, dst_ip);
  put16(ip + 10, ipv4_checksum(ip));
  uint8_t* udp = ip + kIpv4Len;
  put16(udp, src_port);
  put16(udp + 2, dst_port);
  put16(udp + 4, uint16_t(kUdpLen + payload));  // checksum 0: none (IPv4)
  return f;
}

}  // namespace

crypto::SharedKey synthetic_key(uint64_t seed, uint64_t address) {
  static_assert(crypto::SharedKey::size() == 48);
  crypto::SharedKey k;
  ipc::synthetic_key(seed, address, k.data());
  return k;
}

unsigned imix_size(unsigned i) {
  static const unsigned mix[12] = {64, 576, 64, 64, 576, 64, 1500, 64, 576, 64, 576, 64};
  return mix[i % 12];
}

uint64_t lan_host_mac(const Params& p, unsigned h) {
  const uint8_t first = v2::first_octet_for_network(p.nwid) == 0x06 ? 0x0a : 0x06;
  return uint64_t(first) << 40 | 0xaabbcc0000ull | (h & 0xffff);
}

std::vector<uint8_t> expected_lan_frame(const Params& p, unsigned i) {
  const unsigned fs = frame_size(p, i);
  const SyntheticPeer peer = synthetic_peer(p.seed, i % p.peers);
  std::vector<uint8_t> f(fs);
  v2::write_mac(f.data(), p.ext_frame ? lan_host_mac(p, i % p.lan_hosts) : v2::mac_from_address(p.gateway, p.nwid));
  v2::write_mac(f.data() + 6, v2::mac_from_address(peer.address, p.nwid));
  put16(f.data() + 12, 0x0800);
  fill_data(f.data() + kEthLen, fs - kEthLen, i);
  return f;
}

std::vector<Datagram> decap_pool(const Params& p, unsigned frames) {
  std::vector<Datagram> out;
  for (unsigned i = 0; i < frames; ++i) {
    const SyntheticPeer peer = synthetic_peer(p.seed, i % p.peers);
    const std::vector<uint8_t> lan = expected_lan_frame(p, i);
    // VL1 head: packet id (suite 3: the IV), addresses, flags, MAC, verb.
    std::vector<uint8_t> pkt(w::kPacketHeaderLength, 0);
    w::write_be64(pkt.data(), ipc::synthetic_mix(p.seed ^ (uint64_t(i) << 20) ^ peer.address));
    w::write_addr40(pkt.data() + w::kIdxDest, p.gateway);
    w::write_addr40(pkt.data() + w::kIdxSource, peer.address);
    pkt[w::kIdxVerb] = uint8_t(p.ext_frame ? w::Verb::kExtFrame : w::Verb::kFrame);
    // Payload (spec §4.7 / §4.8): network, [flags, to, from,] type, data.
    uint8_t nw[8];
    w::write_be64(nw, p.nwid);
    pkt.insert(pkt.end(), nw, nw + 8);
    if (p.ext_frame) {
      pkt.push_back(0);                                        // flags: no COM
      pkt.insert(pkt.end(), lan.begin(), lan.begin() + 12);    // to, from
    }
    pkt.insert(pkt.end(), lan.begin() + 12, lan.end());        // type, data
    w::set_fragmented_flag(pkt.data(), pkt.size());
    crypto::PeerKeys keys(synthetic_key(p.seed, peer.address));
    crypto::armor(pkt, keys, p.suite);
    auto parts = w::split_packet(pkt);
    for (size_t k = 0; k < parts.size(); ++k) {
      Datagram d;
      d.bytes = outer(p.gw_mac, p.gen_mac, peer.ip, peer.port, p.gw_ip, p.gw_port, parts[k].size());
      std::memcpy(d.bytes.data() + kOuterLen, parts[k].data(), parts[k].size());
      d.frame = i;
      d.last = k + 1 == parts.size();
      out.push_back(std::move(d));
    }
  }
  return out;
}

long check_lan_frame(const Params& p, const uint8_t* f, size_t len, unsigned frames) {
  if (len < kEthLen + kStamp || get32(f + kEthLen) != kMagic) return -1;
  const uint32_t i = get32(f + kEthLen + 4);
  if (i >= frames || len != frame_size(p, i) || get16(f + 12) != 0x0800) return -1;
  const uint64_t dst = p.ext_frame ? lan_host_mac(p, i % p.lan_hosts) : v2::mac_from_address(p.gateway, p.nwid);
  if (v2::read_mac(f) != dst) return -1;
  // The sender's member MAC: peer i % peers (its address from the seed).
  const SyntheticPeer peer = synthetic_peer(p.seed, i % p.peers);
  if (v2::read_mac(f + 6) != v2::mac_from_address(peer.address, p.nwid)) return -1;
  return data_ok(f + kEthLen, len - kEthLen, i) ? long(i) : -1;
}

std::vector<std::vector<uint8_t>> encap_pool(const Params& p, unsigned frames) {
  std::vector<std::vector<uint8_t>> out(frames);
  for (unsigned i = 0; i < frames; ++i) {
    const unsigned fs = frame_size(p, i);
    const SyntheticPeer peer = synthetic_peer(p.seed, i % p.peers);
    auto& f = out[i];
    f.resize(fs);
    v2::write_mac(f.data(), v2::mac_from_address(peer.address, p.nwid));
    v2::write_mac(f.data() + 6, lan_host_mac(p, i % p.lan_hosts));
    put16(f.data() + 12, 0x0800);
    fill_data(f.data() + kEthLen, fs - kEthLen, i);
  }
  return out;
}

PeerIndex::PeerIndex(uint64_t seed, uint32_t n) : peers_(synthetic_peers(seed, n)) {
  sorted_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) sorted_.emplace_back(peers_[i].address, i);
  std::sort(sorted_.begin(), sorted_.end());
}

long PeerIndex::find(uint64_t address) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::make_pair(address, uint32_t(0)));
  return it != sorted_.end() && it->first == address ? long(it->second) : -1;
}

UnderlayInfo check_underlay(const Params& p, const PeerIndex& peers, const Mac& next_hop_mac,
                            const uint8_t* f, size_t len) {
  UnderlayInfo r;
  if (len < kOuterLen + w::kFragmentHeaderLength || std::memcmp(f, next_hop_mac.data(), 6) != 0 ||
      std::memcmp(f + 6, p.gw_mac.data(), 6) != 0 || get16(f + 12) != 0x0800)
    return r;
  const uint8_t* ip = f + kEthLen;
  if (ip[0] != 0x45 || ip[9] != 17 || get16(ip + 2) != len - kEthLen || get32(ip + 12) != p.gw_ip) return r;
  uint8_t hdr[kIpv4Len];
  std::memcpy(hdr, ip, kIpv4Len);
  hdr[10] = hdr[11] = 0;
  if (ipv4_checksum(hdr) != get16(ip + 10)) return r;
  const uint8_t* udp = ip + kIpv4Len;
  if (get16(udp) != p.gw_port || get16(udp + 4) != len - kEthLen - kIpv4Len) return r;
  const uint8_t* zt = f + kOuterLen;
  const size_t zlen = len - kOuterLen;
  r.fragment = w::classify(zt, zlen) == w::DatagramKind::kFragment;
  r.dest = w::packet_dest(zt);
  const long di = peers.find(r.dest);
  if (di < 0) return r;
  const SyntheticPeer& peer = peers.at(uint32_t(di));
  if (get32(ip + 16) != peer.ip || get16(udp + 2) != peer.port) return r;
  if (!r.fragment) {
    if (zlen < w::kPacketHeaderLength || w::packet_source(zt) != p.gateway) return r;
    r.head_fragmented = w::packet_fragmented(zt);
  }
  r.ok = true;
  return r;
}

long dearmor_check(const Params& p, const uint8_t* f, size_t len, unsigned frames) {
  if (len < kOuterLen + w::kPacketHeaderLength) return -1;
  std::vector<uint8_t> pkt(f + kOuterLen, f + len);
  if (w::packet_fragmented(pkt.data())) return -1;  // a head without its fragments
  const uint64_t dest = w::packet_dest(pkt.data());
  crypto::PeerKeys keys(synthetic_key(p.seed, dest));
  if (crypto::dearmor(pkt, keys) != crypto::DearmorResult::kOk) return -1;
  const uint8_t verb = pkt[w::kIdxVerb] & w::kVerbMask;
  const uint8_t* d = pkt.data() + w::kIdxPayload;
  size_t n = pkt.size() - w::kIdxPayload;
  if (n < 8 || w::read_be64(d) != p.nwid) return -1;
  uint64_t to = v2::mac_from_address(dest, p.nwid), from = 0;
  if (verb == uint8_t(w::Verb::kExtFrame)) {
    if (n < v2::kExtFrameHeader || d[8] != 0 || v2::read_mac(d + 9) != to) return -1;
    from = v2::read_mac(d + 15);
    d += v2::kExtFrameHeader - 2;
    n -= v2::kExtFrameHeader - 2;
  } else if (verb == uint8_t(w::Verb::kFrame)) {
    if (n < v2::kFrameHeader) return -1;
    from = v2::mac_from_address(p.gateway, p.nwid);  // FRAME: from the gateway's own MAC
    d += v2::kFrameHeader - 2;
    n -= v2::kFrameHeader - 2;
  } else {
    return -1;
  }
  // d: type, data. Compare with the pool frame its stamp names.
  if (n < 2 + kStamp || get16(d) != 0x0800 || get32(d + 2) != kMagic) return -1;
  const uint32_t i = get32(d + 6);
  if (i >= frames) return -1;
  std::vector<uint8_t> frame(frame_size(p, i));
  const SyntheticPeer peer = synthetic_peer(p.seed, i % p.peers);
  if (peer.address != dest || n + kEthLen - 2 != frame.size()) return -1;
  if (verb == uint8_t(w::Verb::kExtFrame) && from != lan_host_mac(p, i % p.lan_hosts)) return -1;
  v2::write_mac(frame.data(), to);
  v2::write_mac(frame.data() + 6, from);
  put16(frame.data() + 12, 0x0800);
  fill_data(frame.data() + kEthLen, frame.size() - kEthLen, i);
  return std::memcmp(frame.data() + 12, d, n) == 0 ? long(i) : -1;
}

FlowOrder::FlowOrder(unsigned frames, unsigned peers)
    : peers_(peers ? peers : 1), positions_(frames / (peers ? peers : 1)) {
  if (checked()) last_.assign(peers_, 0);
}

void FlowOrder::saw(unsigned i) {
  if (!checked() || i / peers_ >= positions_) return;  // a tail shorter than a full round of flows
  const unsigned flow = i % peers_, pos = i / peers_;
  ++seen_;
  if (last_[flow] != 0) {
    const unsigned ahead = (pos + positions_ - (last_[flow] - 1)) % positions_;
    if (ahead == 0 || ahead > positions_ / 2) {  // a repeat or behind: out of order
      ++out_of_order_;
      return;  // the flow's newest stays the reference
    }
  }
  last_[flow] = pos + 1;
}

}  // namespace flatnet::pktgen::vl2
