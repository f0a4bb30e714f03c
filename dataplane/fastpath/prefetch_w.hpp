// A prefetch that asks for the line in a writable state. DPDK's
// rte_prefetch0_write is __builtin_prefetch(p, 1), which the compiler turns
// into a plain read prefetch (prefetcht0) unless it may assume PRFCHW (this
// build does not pass -march); for a line another core last wrote or read
// -- the generator's, a NIC's or the other worker's -- that read brings it
// shared, and the first store then waits a second cross-core round trip
// for ownership. PREFETCHW asks for ownership at once; CPUs without it
// execute it as a NOP.
#pragma once

namespace flatnet::fastpath {

inline void prefetch_w(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1, 3);
#endif
}

}  // namespace flatnet::fastpath
