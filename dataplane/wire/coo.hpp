// Certificate of Ownership (spec §10.8; stock node/CertificateOfOwnership.*):
// the controller's statement that a member owns some IPs or MACs, used by
// the rules' "sender IP authenticated" characteristic.
//
//   u64 nwid | u64 ts | u64 flags | u32 id | u16 thingCount (<= 16)
//   | thingCount x (u8 type, 16-byte value, zero padded)
//   | addr40 issuedTo | addr40 signedBy | u8 1 | u16 96 | signature
//   | u16 extLen (0) | ext
//
// Signed message: 8 x 0x7f | the same without the signature block | 8 x 0x7f.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/credential.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::wire {

inline constexpr size_t kCooMaxThings = 16;        // ZT_CERTIFICATEOFOWNERSHIP_MAX_THINGS
inline constexpr size_t kNetworkMaxCoos = 4;       // ZT_MAX_CERTIFICATES_OF_OWNERSHIP

enum class CooThing : uint8_t { kNull = 0, kMac = 1, kIpv4 = 2, kIpv6 = 3 };

struct CooEntry {
  CooThing type = CooThing::kNull;
  std::array<uint8_t, 16> value{};  // MAC: 6 bytes, IPv4: 4, IPv6: 16; rest zero
  bool operator==(const CooEntry&) const = default;
};

struct CertificateOfOwnership {
  uint64_t network_id = 0;
  uint64_t timestamp = 0;
  uint64_t flags = 0;
  uint32_t id = 0;
  std::vector<CooEntry> things;
  uint64_t issued_to = 0;
  uint64_t signed_by = 0;
  crypto::Signature signature{};

  // Stock addThing: IPv4/IPv6 (ignores null), at most 16.
  bool add_ip(const InetAddress& ip);
  bool add_mac(const std::array<uint8_t, 6>& mac);
  bool owns_ip(const InetAddress& ip) const;
  bool operator==(const CertificateOfOwnership&) const = default;
};

CredentialStatus read_coo(Reader& r, CertificateOfOwnership& out);
CredentialStatus decode_coo(std::span<const uint8_t> in, CertificateOfOwnership& out,
                            size_t* consumed = nullptr);
// False if it holds more than kCooMaxThings.
bool write_coo(Writer& w, const CertificateOfOwnership& c, bool for_sign = false);
std::vector<uint8_t> coo_signed_message(const CertificateOfOwnership& c);
bool coo_sign(CertificateOfOwnership& c, const crypto::Identity& controller);
VerifyResult coo_verify(const CertificateOfOwnership& c, const IdentityLookup& lookup,
                        uint64_t* need = nullptr);

}  // namespace flatnet::wire
