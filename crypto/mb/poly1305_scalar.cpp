// Poly1305 "lanes" for CPUs without AVX-512 IFMA: one message after the
// other through libsodium (which picks its own SSE2 code at sodium_init).
#include <sodium.h>

#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb::detail {

void poly1305_lanes_scalar(const PolyLane* lanes, unsigned n, uint8_t (*tags)[16]) {
  for (unsigned i = 0; i < n; ++i)
    crypto_onetimeauth_poly1305(tags[i], lanes[i].msg, lanes[i].len, lanes[i].key);
}

}  // namespace flatnet::crypto::mb::detail
