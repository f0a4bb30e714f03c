// Picks the suite 0/1 kernels once, from CPUID, and lets tests and
// benchmarks force a path. The ISA files are only ever reached through the
// table chosen here, so no function compiled for AVX2/AVX-512 runs on a CPU
// without it.
#include <atomic>

#include "crypto/mb/aes_block.hpp"
#include "crypto/mb/burst.hpp"
#include "crypto/mb/kernels.hpp"

namespace flatnet::crypto::mb {
namespace {

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512ifma");
}

constexpr detail::Kernels kScalar{1, detail::salsa2012_blocks_scalar, 0, nullptr,
                                  1, detail::poly1305_lanes_scalar, nullptr};
constexpr detail::Kernels kAvx2{8, detail::salsa2012_blocks_avx2, 8, detail::salsa2012_stream_avx2,
                                8, detail::poly1305_lanes_avx2, nullptr};
constexpr detail::Kernels kAvx512{16, detail::salsa2012_blocks_avx512, 16, detail::salsa2012_stream_avx512,
                                  8, detail::poly1305_lanes_avx512, detail::poly1305_single_avx512};

const detail::Kernels* table_for(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return &kAvx512;
    case Isa::kAvx2: return &kAvx2;
    default: return &kScalar;
  }
}

std::atomic<Isa> g_isa{Isa::kAuto};
std::atomic<const detail::Kernels*> g_table{nullptr};

}  // namespace

const char* to_string(Isa isa) {
  switch (isa) {
    case Isa::kAuto: return "auto";
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return cpu_has_avx512();
    case Isa::kAvx2: return cpu_has_avx2();
    default: return true;
  }
}

Isa best_isa() {
  static const Isa best = cpu_has_avx512() ? Isa::kAvx512 : cpu_has_avx2() ? Isa::kAvx2 : Isa::kScalar;
  return best;
}

bool force_isa(Isa isa) {
  if (!isa_supported(isa)) return false;
  const Isa real = isa == Isa::kAuto ? best_isa() : isa;
  g_isa.store(real);
  g_table.store(table_for(real));
  return true;
}

Isa current_isa() {
  detail::kernels();
  return g_isa.load();
}

namespace detail {

namespace {
std::atomic<bool> g_aesni_off{false};
}  // namespace

bool cpu_has_aesni() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") != 0;
  }();
  return has && !g_aesni_off.load(std::memory_order_relaxed);
}

void force_ecb_jobs(bool on) { g_aesni_off.store(on); }

const Kernels& kernels() {
  const Kernels* t = g_table.load(std::memory_order_acquire);
  if (t == nullptr) {
    force_isa(Isa::kAuto);
    t = g_table.load();
  }
  return *t;
}

}  // namespace detail
}  // namespace flatnet::crypto::mb
