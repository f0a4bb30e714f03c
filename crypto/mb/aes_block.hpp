// Internal: suite 3's SIV block, one AES-256 block per packet in place.
#pragma once

#include <cstdint>

namespace flatnet::crypto::mb::detail {

struct AesBlockJob {
  uint8_t* block;        // 16 bytes, replaced by its encryption/decryption
  const uint32_t* keys;  // ipsec-mb schedule: enc (for encrypt) or dec, 16-byte aligned
};

// AES-NI, 8 blocks interleaved (aes_block_aesni.cpp, built with -maes).
void aes256_blocks_aesni(const AesBlockJob* jobs, unsigned n, bool encrypt);

// True if the CPU has AES-NI (else gmacsiv_burst.cpp submits ECB jobs).
bool cpu_has_aesni();
// Tests: take the ECB-job path even on a CPU with AES-NI.
void force_ecb_jobs(bool on);

}  // namespace flatnet::crypto::mb::detail
