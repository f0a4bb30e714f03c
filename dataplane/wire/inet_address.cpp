// InetAddress codec (spec §5.1).
#include "dataplane/wire/inet_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace flatnet::wire {

namespace {

// Stock compares sockaddr fields that hold network-order bytes as native
// (little-endian) integers; reproduce that so our sort order matches theirs.
uint16_t raw_port(uint16_t port) { return uint16_t((port >> 8) | (port << 8)); }
uint32_t raw_v4(const std::array<uint8_t, 16>& ip) {
  return uint32_t(ip[0]) | (uint32_t(ip[1]) << 8) | (uint32_t(ip[2]) << 16) |
         (uint32_t(ip[3]) << 24);
}

}  // namespace

InetAddress InetAddress::v4(const uint8_t a[4], uint16_t port) {
  InetAddress r;
  r.family = Family::kV4;
  std::memcpy(r.ip.data(), a, 4);
  r.port = port;
  return r;
}

InetAddress InetAddress::v6(const uint8_t a[16], uint16_t port) {
  InetAddress r;
  r.family = Family::kV6;
  std::memcpy(r.ip.data(), a, 16);
  r.port = port;
  return r;
}

std::optional<InetAddress> InetAddress::from_string(std::string_view s) {
  std::string_view host = s;
  unsigned port = 0;
  if (auto slash = s.rfind('/'); slash != std::string_view::npos) {
    host = s.substr(0, slash);
    std::string_view ps = s.substr(slash + 1);
    if (ps.empty() || ps.size() > 5) return std::nullopt;
    auto [end, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
    if (ec != std::errc() || end != ps.data() + ps.size() || port > 65535) return std::nullopt;
  }
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = 0;
  uint8_t a[16];
  if (inet_pton(AF_INET, buf, a) == 1) return v4(a, uint16_t(port));
  if (inet_pton(AF_INET6, buf, a) == 1) return v6(a, uint16_t(port));
  return std::nullopt;
}

std::string InetAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == Family::kV4) {
    if (!inet_ntop(AF_INET, ip.data(), buf, sizeof buf)) return {};
  } else if (family == Family::kV6) {
    if (!inet_ntop(AF_INET6, ip.data(), buf, sizeof buf)) return {};
  } else {
    return {};
  }
  return std::string(buf) + "/" + std::to_string(port);
}

size_t InetAddress::wire_size() const {
  switch (family) {
    case Family::kV4: return 7;
    case Family::kV6: return 19;
    default: return 1;
  }
}

bool InetAddress::operator==(const InetAddress& o) const {
  if (family != o.family) return false;
  if (family == Family::kNull) return true;
  const size_t n = family == Family::kV4 ? 4 : 16;
  return port == o.port && std::memcmp(ip.data(), o.ip.data(), n) == 0;
}

bool InetAddress::operator<(const InetAddress& o) const {
  // AF_INET (2) < AF_INET6 (10); null (AF_UNSPEC 0) sorts first.
  auto rank = [](Family f) { return f == Family::kNull ? 0 : f == Family::kV4 ? 1 : 2; };
  if (rank(family) != rank(o.family)) return rank(family) < rank(o.family);
  if (family == Family::kNull) return false;
  if (port != o.port) return raw_port(port) < raw_port(o.port);
  if (family == Family::kV4) return raw_v4(ip) < raw_v4(o.ip);
  return std::memcmp(ip.data(), o.ip.data(), 16) < 0;
}

InetStatus read_inet_address(Reader& r, InetAddress& out) {
  out = InetAddress{};
  const uint8_t type = r.u8();
  if (!r.ok()) return InetStatus::kTruncated;
  switch (type) {
    case 0:
      return InetStatus::kOk;
    case 4: {
      uint8_t a[4];
      r.bytes(a, 4);
      const uint16_t port = r.u16();
      if (!r.ok()) return InetStatus::kTruncated;
      out = InetAddress::v4(a, port);
      return InetStatus::kOk;
    }
    case 6: {
      uint8_t a[16];
      r.bytes(a, 16);
      const uint16_t port = r.u16();
      if (!r.ok()) return InetStatus::kTruncated;
      out = InetAddress::v6(a, port);
      return InetStatus::kOk;
    }
    case 1:  // reserved: Ethernet
    case 2:  // reserved: Bluetooth
      r.skip(6);
      return r.ok() ? InetStatus::kSkipped : InetStatus::kTruncated;
    case 3: {  // reserved: other, length-prefixed
      const uint16_t n = r.u16();
      r.skip(n);
      return r.ok() ? InetStatus::kSkipped : InetStatus::kTruncated;
    }
    default:
      r.fail();
      return InetStatus::kBadType;
  }
}

void write_inet_address(Writer& w, const InetAddress& a) {
  switch (a.family) {
    case InetAddress::Family::kV4:
      w.u8(4);
      w.bytes(a.ip.data(), 4);
      w.u16(a.port);
      break;
    case InetAddress::Family::kV6:
      w.u8(6);
      w.bytes(a.ip.data(), 16);
      w.u16(a.port);
      break;
    default:
      w.u8(0);
      break;
  }
}

}  // namespace flatnet::wire
