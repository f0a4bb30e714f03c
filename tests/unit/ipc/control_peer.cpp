// A control process for test_process: an ordinary program linked with the
// ipc client and NO DPDK library (meson links nothing else), which is the
// point: it proves the client works without EAL in a second process.
//
//   ipc_control_peer <segment path> <peers> <punts> <injects>
// Exit 0 when every check passed, else a code naming the failed step.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/phys_addr.hpp"

using namespace flatnet::ipc;

namespace {

bool timed_out(std::chrono::steady_clock::time_point dl) {
  return std::chrono::steady_clock::now() > dl;
}

flatnet_ipc_phys_addr path_for(uint32_t i) {
  return phys_v4(0x0a000000u | (i & 0xffffffu), uint16_t(9993 + i % 100));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) return 64;
  const uint32_t peers = uint32_t(atoi(argv[2])), punts = uint32_t(atoi(argv[3])),
                 injects = uint32_t(atoi(argv[4]));
  auto dl = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string err;
  auto c = Client::attach(argv[1], &err);
  if (!c) { fprintf(stderr, "%s\n", err.c_str()); return 10; }

  // Commands: peers upserts, then a NOP with ACK marks the end.
  for (uint32_t i = 0; i < peers;) {
    if (c->send_command(make_upsert(0x0100000000ull + i, path_for(i), i))) ++i;
    else if (timed_out(dl)) return 11;
    else std::this_thread::yield();
  }
  flatnet_ipc_command nop{};
  nop.type = FLATNET_IPC_CMD_NOP;
  nop.flags = FLATNET_IPC_CMD_F_ACK;
  nop.seq = 0xabcdef;
  while (!c->send_command(nop)) if (timed_out(dl)) return 12;
  bool acked = false;
  uint32_t failures = 0;
  while (!acked && !timed_out(dl))
    c->poll_events([&](const flatnet_ipc_event& e) {
      if (e.type != FLATNET_IPC_EV_RESULT) return;
      if (e.seq == 0xabcdef) acked = true;
      else ++failures;
    });
  if (!acked) return 13;
  if (failures) return 14;

  // Resync: the dump must hold exactly what we loaded.
  if (!c->resync(7)) return 15;
  bool begun = false, ended = false;
  uint32_t dumped = 0, wrong = 0;
  while (!ended && !timed_out(dl))
    c->poll_events([&](const flatnet_ipc_event& e) {
      if (e.type == FLATNET_IPC_EV_RESYNC_BEGIN) begun = e.count == peers;
      if (e.type == FLATNET_IPC_EV_PEER) {
        uint32_t i = uint32_t(e.addr - 0x0100000000ull);
        flatnet_ipc_phys_addr want = path_for(i);
        if (i >= peers || memcmp(&e.path, &want, sizeof want) != 0) ++wrong;
        ++dumped;
      }
      if (e.type == FLATNET_IPC_EV_RESYNC_END) ended = e.count == dumped;
    });
  if (!begun || !ended || dumped != peers || wrong) return 16;

  // Punts from the data plane: numbered, patterned payloads.
  uint32_t got = 0;
  while (got < punts && !timed_out(dl))
    c->poll_punts([&](const flatnet_ipc_slot_meta& m, const uint8_t* d, uint32_t len) {
      bool ok = len == 100 + got && m.addr.udp_port == 4242 && d[0] == uint8_t(got);
      for (uint32_t b = 1; ok && b < len; ++b) ok = d[b] == uint8_t(b ^ got);
      if (ok) ++got;
      else got = punts + 1000;  // fail
    });
  if (got != punts) return 17;

  // Injects back to the data plane.
  for (uint32_t i = 0; i < injects;) {
    uint8_t pkt[300];
    for (uint32_t b = 0; b < sizeof pkt; ++b) pkt[b] = uint8_t(b + i);
    flatnet_ipc_phys_addr dst = path_for(i);
    if (c->inject(pkt, 200 + i % 100, dst)) ++i;
    else if (timed_out(dl)) return 18;
    else std::this_thread::yield();
  }
  return 0;
}
