// Identities shared by the VL2 format tests: generated once per process
// (each takes a few memory-hard hashes), with private keys.
#pragma once

#include "crypto/identity.hpp"

namespace flatnet::wire::testing {

inline const crypto::Identity& controller_id() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}
inline const crypto::Identity& member_id() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}
inline const crypto::Identity& other_id() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}
// A network of controller_id().
inline uint64_t test_nwid() { return (controller_id().address() << 24) | 0x000001; }

}  // namespace flatnet::wire::testing
