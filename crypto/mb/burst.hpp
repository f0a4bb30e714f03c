// Burst (multi-buffer) packet armor: the same transforms as crypto/armor.hpp
// (suites 0, 1 and 3, spec §3.2-3.3), applied to many packets at once so
// that SIMD lanes are filled. This is what the data plane calls.
//
// Suites 0/1 run on our own Salsa20/12 and Poly1305 lane kernels (scalar,
// AVX2, AVX-512; one source file per ISA, chosen once from CPUID). Suite 3
// runs through Intel ipsec-mb's job manager (its own multi-lane AES code).
//
// Results are byte-for-byte those of crypto::armor / crypto::dearmor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "crypto/armor.hpp"

namespace flatnet::crypto::mb {

// Per-peer key material, derived once when the key is agreed and never per
// packet: the 48-byte key (suites 0/1) and the expanded AES-256 schedules
// of K0 (GMAC, with GHASH tables) and K1 (SIV block encrypt/decrypt, CTR).
class PeerKeyset {
 public:
  explicit PeerKeyset(const SharedKey& key48);
  ~PeerKeyset();
  PeerKeyset(const PeerKeyset&) = delete;
  PeerKeyset& operator=(const PeerKeyset&) = delete;

  const uint8_t* key48() const { return key48_.data(); }
  struct Aes;  // ipsec-mb layouts; see gmacsiv_burst.cpp
  const Aes& aes() const { return *aes_; }

 private:
  SharedKey key48_;
  std::unique_ptr<Aes> aes_;
};

// One packet of a burst. `data` is the whole assembled VL1 packet
// (contiguous), `len` its length in bytes, `keys` the peer's key set (never
// null). Packets of one burst must not overlap.
struct Packet {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  const PeerKeyset* keys = nullptr;
};

// Armors every packet in place with `suite` (same preconditions as
// crypto::armor: len >= 28, FRAGMENTED/hops already set; for suite 3 bytes
// 0..7 hold the random IV). Packets shorter than 28 bytes, and every packet
// if `suite` is not 0, 1 or 3, are left alone.
void armor_burst(std::span<const Packet> pkts, Suite suite);

// Authenticates every packet and decrypts the ones that pass. verdicts[i]
// is the crypto::dearmor result of pkts[i]; a packet that fails keeps the
// bytes it was received with (suite 0/1: never touched; suite 3: CTR runs
// before the tag can be checked, so a failing packet is CTR-encrypted again
// in place, which costs a forged packet twice the CTR work). If original_ivs is non-null, suite 3 packets
// that pass get their sender IV there (8 bytes per packet).
void dearmor_burst(std::span<const Packet> pkts, DearmorResult* verdicts,
                   uint8_t (*original_ivs)[8] = nullptr);

// Code path for suites 0/1. kAuto = best the CPU supports (chosen once).
enum class Isa : uint8_t { kAuto = 0, kScalar, kAvx2, kAvx512 };

const char* to_string(Isa isa);
// True if this CPU can run `isa` (kAuto and kScalar always can).
bool isa_supported(Isa isa);
// The path used when kAuto is asked for.
Isa best_isa();
// Forces a path for tests and benchmarks (process-wide; not thread-safe
// against concurrent bursts). Returns false, changing nothing, if the CPU
// cannot run it.
bool force_isa(Isa isa);
Isa current_isa();

}  // namespace flatnet::crypto::mb
