#include "control/controller/ip_assign.hpp"

#include <algorithm>

#include "control/core/packet.hpp"
#include "control/port/addressing.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::controller {
namespace {

using Family = wire::InetAddress::Family;

uint32_t v4_int(const wire::InetAddress& a) {
  return uint32_t(a.ip[0]) << 24 | uint32_t(a.ip[1]) << 16 | uint32_t(a.ip[2]) << 8 | a.ip[3];
}

wire::InetAddress v4_from(uint32_t ip, uint16_t bits) {
  const uint8_t b[4] = {uint8_t(ip >> 24), uint8_t(ip >> 16), uint8_t(ip >> 8), uint8_t(ip)};
  return wire::InetAddress::v4(b, bits);
}

// Stock's containsAddress: the route's address, masked by the prefix of
// `target.port` bits, against `ip`. IPv6 compares the masked candidate with
// the route's unmasked address, as stock does.
bool contains(const wire::InetAddress& target, const wire::InetAddress& ip) {
  if (target.family != ip.family || target.family == Family::kNull) return false;
  if (target.family == Family::kV4) {
    const unsigned bits = std::min<unsigned>(target.port, 32);
    if (bits == 0) return true;
    return (v4_int(ip) >> (32 - bits)) == (v4_int(target) >> (32 - bits));
  }
  const unsigned bits = std::min<unsigned>(target.port, 128);
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned have = bits > 8 * i ? std::min(8u, bits - 8 * i) : 0;
    const uint8_t mask = uint8_t(0xff00 >> have);
    if ((ip.ip[i] & mask) != target.ip[i]) return false;
  }
  return true;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void add_static(Assignment& a, const wire::InetAddress& ip) {
  if (a.static_ips.size() < wire::kNetworkMaxStaticIps) a.static_ips.push_back(ip);
}

// Stock's IPv6 pool: when the low 64 bits span at least 2^40, the first
// candidate is the range start plus the member's address; the others are
// random inside the range.
bool assign_v6(const IpAssignmentPool& pool, Member& m,
               std::span<const wire::ManagedRoute> routes, const IpIndex& index, Assignment& a) {
  const auto s = wire::InetAddress::from_string(pool.ip_range_start);
  const auto e = wire::InetAddress::from_string(pool.ip_range_end);
  if (!s || !e || s->family != Family::kV6 || e->family != Family::kV6) return false;
  const uint64_t s0 = wire::read_be64(s->ip.data()), s1 = wire::read_be64(s->ip.data() + 8);
  const uint64_t e0 = wire::read_be64(e->ip.data()), e1 = wire::read_be64(e->ip.data() + 8);
  for (unsigned trial = 0; trial < 1000; ++trial) {
    uint64_t hi, lo;
    if (trial == 0 && e1 > s1 && e1 - s1 >= 0xffffffffffULL) {
      hi = s0;
      lo = s1 + m.address;
    } else {
      hi = s0 + (e0 > s0 ? random_packet_id() % (e0 - s0) : 0);
      lo = s1 + (e1 > s1 ? random_packet_id() % (e1 - s1) : 0);
    }
    uint8_t raw[16];
    wire::write_be64(raw, hi);
    wire::write_be64(raw + 8, lo);
    wire::InetAddress ip = wire::InetAddress::v6(raw, 0);
    unsigned bits = 0;
    for (const auto& r : routes)
      if (r.via.is_null() && r.target.family == Family::kV6 && contains(r.target, ip))
        bits = r.target.port;
    if (bits == 0) continue;
    const std::string text = ip_string(ip);
    if (index.taken(text) || has(m.ip_assignments, text)) continue;
    m.ip_assignments.push_back(text);
    ip.port = uint16_t(bits);
    add_static(a, ip);
    return true;
  }
  return false;
}

bool assign_v4(const IpAssignmentPool& pool, Member& m,
               std::span<const wire::ManagedRoute> routes, const IpIndex& index, Assignment& a) {
  const auto s = wire::InetAddress::from_string(pool.ip_range_start);
  const auto e = wire::InetAddress::from_string(pool.ip_range_end);
  if (!s || !e || s->family != Family::kV4 || e->family != Family::kV4) return false;
  const uint32_t start = v4_int(*s), end = v4_int(*e);
  if (end < start || start == 0) return false;
  const uint32_t len = end - start;
  uint32_t counter = uint32_t(m.address & 0xffffffff);
  // Stock walks k from start to end but uses k only to bound the walk.
  for (uint64_t k = start, trial = 0; k <= end && trial < 1000; ++k, ++trial) {
    const uint32_t ip = len > 0 ? start + counter % len : start;
    ++counter;
    if ((ip & 0xff) == 0xff) continue;
    int bits = -1;
    for (const auto& r : routes) {
      if (r.target.family != Family::kV4) continue;
      const unsigned tb = r.target.port;
      if (tb == 0 || tb > 32) continue;  // stock's shift would not match a /0 usefully
      if ((ip & (0xffffffffu << (32 - tb))) == v4_int(r.target)) {
        bits = int(tb);
        break;
      }
    }
    if (bits <= 0) continue;
    const wire::InetAddress addr = v4_from(ip, uint16_t(bits));
    const std::string text = ip_string(addr);
    if (index.taken(text) || has(m.ip_assignments, text)) continue;
    m.ip_assignments.push_back(text);
    add_static(a, addr);
    return true;
  }
  return false;
}

}  // namespace

void IpIndex::set_member(uint64_t address, const std::vector<std::string>& ips) {
  remove_member(address);
  if (ips.empty()) return;
  for (const auto& ip : ips) holder_.emplace(ip, address);
  held_[address] = ips;
}

void IpIndex::remove_member(uint64_t address) {
  auto it = held_.find(address);
  if (it == held_.end()) return;
  for (const auto& ip : it->second) {
    auto h = holder_.find(ip);
    if (h != holder_.end() && h->second == address) holder_.erase(h);
  }
  held_.erase(it);
}

std::string ip_string(const wire::InetAddress& a) {
  std::string s = a.to_string();
  return s.substr(0, s.rfind('/'));
}

Assignment assign_ips(const Network& n, Member& m, std::span<const wire::ManagedRoute> routes,
                      const IpIndex& index) {
  Assignment a;
  const bool autoassign = !m.no_auto_assign_ips;
  if (autoassign && n.v6_assign.rfc4193.value_or(false)) {
    add_static(a, port::rfc4193_address(n.id, m.address));
    a.ndp_emulation = true;
  }
  if (autoassign && n.v6_assign.six_plane.value_or(false)) {
    add_static(a, port::sixplane_address(n.id, m.address));
    a.ndp_emulation = true;
  }
  bool have_v4 = false, have_v6 = false;
  for (const std::string& text : m.ip_assignments) {
    auto ip = wire::InetAddress::from_string(text);
    if (!ip || ip->family == Family::kNull) continue;
    int bits = -1;
    for (const auto& r : routes)
      if (contains(r.target, *ip)) bits = std::max(bits, int(r.target.port));
    if (bits < 0) continue;
    ip->port = uint16_t(bits);
    add_static(a, *ip);
    (ip->family == Family::kV4 ? have_v4 : have_v6) = true;
  }
  const size_t before = m.ip_assignments.size();
  if (autoassign && n.v6_assign.zt.value_or(false))
    for (const auto& pool : n.ip_assignment_pools) {
      if (have_v6) break;
      have_v6 = assign_v6(pool, m, routes, index, a);
    }
  if (autoassign && n.v4_assign_zt)
    for (const auto& pool : n.ip_assignment_pools) {
      if (have_v4) break;
      have_v4 = assign_v4(pool, m, routes, index, a);
    }
  a.member_changed = m.ip_assignments.size() != before;
  return a;
}

}  // namespace flatnet::control::controller
