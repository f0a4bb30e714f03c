// Queue choice by flow: both directions of a flow map to one queue, the
// ports matter, fragments of one datagram stay together, and many flows
// spread over the queues.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "control/port/flow.hpp"

namespace flatnet::control::port {
namespace {

std::vector<uint8_t> v4(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto = 6,
                        uint16_t frag = 0) {
  std::vector<uint8_t> f(14 + 20 + 20, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[14 + 6] = uint8_t(frag >> 8);
  f[14 + 7] = uint8_t(frag);
  f[14 + 9] = proto;
  for (int i = 0; i < 4; ++i) {
    f[26 + i] = uint8_t(src >> (24 - 8 * i));
    f[30 + i] = uint8_t(dst >> (24 - 8 * i));
  }
  f[34] = uint8_t(sp >> 8);
  f[35] = uint8_t(sp);
  f[36] = uint8_t(dp >> 8);
  f[37] = uint8_t(dp);
  return f;
}

uint32_t h(const std::vector<uint8_t>& f) { return flow_hash(f.data(), f.size()); }

TEST(PortFlow, SymmetricAndPortSensitive) {
  const auto ab = v4(0x0a4d0001, 0x0a4d0002, 40000, 5201);
  const auto ba = v4(0x0a4d0002, 0x0a4d0001, 5201, 40000);
  EXPECT_EQ(h(ab), h(ba));
  EXPECT_NE(h(ab), h(v4(0x0a4d0001, 0x0a4d0002, 40001, 5201)));
  // Same address pair, ports swapped between the ends: a different flow.
  EXPECT_NE(h(ab), h(v4(0x0a4d0001, 0x0a4d0002, 5201, 40000)));
}

TEST(PortFlow, FragmentsStayTogether) {
  const auto first = v4(0x0a4d0001, 0x0a4d0002, 1234, 53, 17, 0x2000);  // MF set
  auto later = v4(0x0a4d0001, 0x0a4d0002, 0, 0, 17, 0x00b9);            // offset, no ports
  later[34] = 0xde;  // payload bytes where ports would be
  later[35] = 0xad;
  EXPECT_EQ(h(first), h(later));
}

TEST(PortFlow, SpreadsFlowsAndHandlesShortFrames) {
  std::set<unsigned> used;
  for (uint16_t p = 0; p < 64; ++p) {
    const auto f = v4(0x0a4d0001, 0x0a4d0002, uint16_t(40000 + p), 5201);
    used.insert(flow_queue(f.data(), f.size(), 4));
  }
  EXPECT_EQ(used.size(), 4u);
  const auto f = v4(1, 2, 3, 4);
  for (size_t len = 0; len <= f.size(); ++len) (void)flow_hash(f.data(), len);
  EXPECT_EQ(flow_queue(f.data(), f.size(), 1), 0u);
}

}  // namespace
}  // namespace flatnet::control::port
