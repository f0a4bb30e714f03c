// InetAddress: the physical (IPv4/IPv6 + port) address as ZeroTier puts it
// on the wire (spec §5.1) and in JSON ("<ip>/<port>").
//
// On the wire a type byte leads: 0 null, 4 IPv4 (4 + 2 bytes), 6 IPv6
// (16 + 2 bytes). Types 1, 2 (6 bytes each) and 3 (u16 length + data) are
// reserved; a reader must skip them and yields a null address, as stock
// readers do, so a list containing them keeps its length and position.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/wire/bytes.hpp"

namespace flatnet::wire {

struct InetAddress {
  enum class Family : uint8_t { kNull = 0, kV4 = 4, kV6 = 6 };

  Family family = Family::kNull;
  std::array<uint8_t, 16> ip{};  // network order; IPv4 uses the first 4
  uint16_t port = 0;             // or prefix bits in network configs

  static InetAddress v4(const uint8_t a[4], uint16_t port);
  static InetAddress v6(const uint8_t a[16], uint16_t port);
  // "<ip>/<port>" or a bare "<ip>" (port 0). nullopt on anything else.
  static std::optional<InetAddress> from_string(std::string_view s);

  bool is_null() const { return family == Family::kNull; }
  std::string to_string() const;   // "<ip>/<port>", "" for null
  size_t wire_size() const;        // 1, 7 or 19

  bool operator==(const InetAddress& o) const;
  // The order stock ZeroTier sorts stable endpoints in (genmoon, World):
  // family (IPv4 before IPv6), then port, then address -- comparing the raw
  // network-order port and IPv4 fields as little-endian host integers, as
  // the stock code does on x86. Needed to reproduce stock .moon bytes.
  bool operator<(const InetAddress& o) const;
};

enum class InetStatus : uint8_t {
  kOk = 0,
  kSkipped,    // reserved type 1/2/3 consumed; address is null
  kTruncated,
  kBadType,
};

// Reads one address; on kTruncated/kBadType the reader is marked failed.
InetStatus read_inet_address(Reader& r, InetAddress& out);
void write_inet_address(Writer& w, const InetAddress& a);

}  // namespace flatnet::wire
