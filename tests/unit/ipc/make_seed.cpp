// Writes the seed corpus for fuzz_attach: a valid minimal segment.
// Built and run by hand (see README.md), not part of the build.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/service.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  flatnet::ipc::ServiceParams p;
  p.instance = "fuzzseed";
  p.workers = 1;
  p.punt_slots = 2;
  p.inject_slots = 2;
  p.event_ring = 4;
  p.command_ring = 4;
  p.slot_data = 64;
  std::string err;
  auto s = flatnet::ipc::Service::create(p, &err);
  if (!s) { fprintf(stderr, "%s\n", err.c_str()); return 1; }
  // A defined and published counters block, so the fuzzer starts with one.
  if (!s->stats_define({"relayed", "drop_tx_full"}, &err)) { fprintf(stderr, "%s\n", err.c_str()); return 1; }
  const uint64_t values[] = {3, 4, 0, 1};  // relayed, drop_tx_full: worker 0, main
  s->stats_publish(values, 1);
  uint8_t pkt[40] = {0x11};
  auto c = flatnet::ipc::Client::attach(s->path(), &err);
  if (!c) { fprintf(stderr, "%s\n", err.c_str()); return 1; }
  s->track_control(1);  // the session starts: the punt and the event are queued
  s->punt(0, pkt, sizeof pkt, flatnet::ipc::PuntMeta{});
  flatnet_ipc_event ev{};
  ev.type = FLATNET_IPC_EV_RELAY_PAIR;
  s->event(0, ev);
  std::ifstream in(s->path(), std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(argv[1], std::ios::binary).write(b.data(), std::streamsize(b.size()));
  return 0;
}
