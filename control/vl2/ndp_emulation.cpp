#include "control/vl2/ndp_emulation.hpp"

#include <algorithm>

#include "control/port/addressing.hpp"

namespace flatnet::control::vl2 {
namespace {

constexpr size_t kIpv6Header = 40;
constexpr size_t kAdvertLength = 32;  // ICMPv6 NA with one target link-layer option

// The ZeroTier address inside `target` if it shares the prefix of our
// address `mine` (prefix bits in `bits`), else 0.
uint64_t embedded_address(const uint8_t* target, const uint8_t* mine, unsigned bits,
                          uint64_t nwid) {
  size_t prefix = 0;
  if (bits == 88 && mine[0] == 0xfd && mine[9] == 0x99 && mine[10] == 0x93) {
    prefix = 11;  // fdNN:NNNN:NNNN:NNNN:NN99:93AA:AAAA:AAAA
  } else if (bits == 40) {
    const uint32_t n32 = uint32_t(nwid ^ (nwid >> 32));
    if (mine[0] != 0xfc || mine[1] != uint8_t(n32 >> 24) || mine[2] != uint8_t(n32 >> 16) ||
        mine[3] != uint8_t(n32 >> 8) || mine[4] != uint8_t(n32))
      return 0;
    prefix = 5;  // fcNN:NNNN:NNAA:AAAA:AAAA::/80 per member
  } else {
    return 0;
  }
  if (!std::equal(target, target + prefix, mine)) return 0;
  uint64_t a = 0;
  for (size_t i = 0; i < 5; ++i) a = (a << 8) | target[prefix + i];
  return a;
}

uint16_t icmpv6_checksum(const uint8_t* src, const uint8_t* dst, const uint8_t* body,
                         size_t len) {
  uint32_t sum = 0;
  auto add = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  };
  add(src, 16);
  add(dst, 16);
  sum += uint32_t(len);
  sum += 58;
  add(body, len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace

std::optional<std::vector<uint8_t>> ndp_answer(const wire::NetworkConfig& cfg, uint64_t self,
                                               uint64_t our_mac,
                                               const ::flatnet::vl2::FrameView& f) {
  const auto& p = f.payload;
  if (!cfg.ndp_emulation() || f.ethertype != ::flatnet::vl2::kEthertypeIpv6 ||
      p.size() < kIpv6Header + 8 + 16 || p[6] != 0x3a || p[kIpv6Header] != 135)
    return std::nullopt;
  const uint8_t* target = p.data() + kIpv6Header + 8;
  uint64_t peer = 0;
  const uint8_t* mine = nullptr;
  for (const auto& ip : cfg.static_ips) {
    if (ip.family != wire::InetAddress::Family::kV6) continue;
    mine = ip.ip.data();
    peer = embedded_address(target, mine, ip.port, cfg.network_id);
    if (peer) break;
  }
  if (!peer || peer == self) return std::nullopt;
  const uint64_t peer_mac = port::member_mac(peer, cfg.network_id);

  // IPv6 header (target -> our address), then the advertisement.
  std::vector<uint8_t> ip(kIpv6Header + kAdvertLength, 0);
  ip[0] = 0x60;
  ip[5] = kAdvertLength;
  ip[6] = 0x3a;
  ip[7] = 0xff;
  std::copy(target, target + 16, ip.begin() + 8);
  std::copy(mine, mine + 16, ip.begin() + 24);
  uint8_t* na = ip.data() + kIpv6Header;
  na[0] = 136;   // neighbor advertisement
  na[4] = 0x60;  // solicited + override
  std::copy(target, target + 16, na + 8);
  na[24] = 2;    // target link-layer address option, 8 bytes
  na[25] = 1;
  const auto mac = port::mac_bytes(peer_mac);
  std::copy(mac.begin(), mac.end(), na + 26);
  const uint16_t sum = icmpv6_checksum(ip.data() + 8, ip.data() + 24, na, kAdvertLength);
  na[2] = uint8_t(sum >> 8);
  na[3] = uint8_t(sum);

  std::vector<uint8_t> frame;
  frame.reserve(14 + ip.size());
  const auto dst = port::mac_bytes(our_mac);
  frame.insert(frame.end(), dst.begin(), dst.end());
  frame.insert(frame.end(), mac.begin(), mac.end());
  frame.push_back(0x86);
  frame.push_back(0xdd);
  frame.insert(frame.end(), ip.begin(), ip.end());
  return frame;
}

NdpPrefixes ndp_prefixes(const wire::NetworkConfig& cfg) {
  NdpPrefixes out;
  if (!cfg.ndp_emulation()) return out;
  auto assigned = [&](const wire::InetAddress& mine) {
    return std::any_of(cfg.static_ips.begin(), cfg.static_ips.end(), [&](const auto& a) {
      return a.family == wire::InetAddress::Family::kV6 && a.ip == mine.ip;
    });
  };
  // 6PLANE: fc + the folded network ID, 5 bytes; RFC4193: fd + network ID
  // + 99:93, 11 bytes.
  const wire::InetAddress sixplane = port::sixplane_address(cfg.network_id, cfg.issued_to);
  if (assigned(sixplane)) {
    out.sixplane.emplace();
    std::copy(sixplane.ip.begin(), sixplane.ip.begin() + 5, out.sixplane->begin());
  }
  const wire::InetAddress rfc4193 = port::rfc4193_address(cfg.network_id, cfg.issued_to);
  if (assigned(rfc4193)) {
    out.rfc4193.emplace();
    std::copy(rfc4193.ip.begin(), rfc4193.ip.begin() + 11, out.rfc4193->begin());
  }
  return out;
}

bool ndp_emulated_owner(const wire::NetworkConfig& cfg, std::span<const uint8_t> ip) {
  if (ip.size() != 16 || !cfg.ndp_emulation()) return false;
  const NdpPrefixes p = ndp_prefixes(cfg);
  return (p.sixplane && std::equal(p.sixplane->begin(), p.sixplane->end(), ip.begin())) ||
         (p.rfc4193 && std::equal(p.rfc4193->begin(), p.rfc4193->end(), ip.begin()));
}

}  // namespace flatnet::control::vl2
