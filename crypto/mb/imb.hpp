// Internal: this library's per-thread Intel ipsec-mb manager (an IMB_MGR
// holds job queues and must not be shared between threads), initialised
// for the best ISA ipsec-mb detects (AVX-512/VAES here).
#pragma once

#include <intel-ipsec-mb.h>

namespace flatnet::crypto::mb::detail {

IMB_MGR* imb();

}  // namespace flatnet::crypto::mb::detail
