// Small helpers the controller benchmarks share: the process's resident
// memory, and identities with a chosen address.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "crypto/identity.hpp"

namespace flatnet::bench {

// VmRSS of this process in KiB, -1 if unreadable.
inline long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// A fresh key pair under a chosen address (with its secret if asked): it
// fails the memory-hard check, which the benchmarks need not pass -- the
// controller does not run it (the core does, before it), and simulated
// members are learned as cached peers.
inline crypto::Identity identity_at(uint64_t address, bool with_secret) {
  crypto::PublicKey pub;
  crypto::PrivateKey priv;
  crypto::c25519_generate(pub, priv);
  static const char* hx = "0123456789abcdef";
  std::string s;
  for (int i = 9; i >= 0; --i) s += hx[(address >> (4 * i)) & 15];
  s += ":0:";
  for (uint8_t b : pub) s += {hx[b >> 4], hx[b & 15]};
  if (with_secret) {
    s += ":";
    for (size_t i = 0; i < priv.size(); ++i) s += {hx[priv[i] >> 4], hx[priv[i] & 15]};
  }
  return *crypto::Identity::from_string(s);
}

}  // namespace flatnet::bench
