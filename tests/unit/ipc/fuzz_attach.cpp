// Fuzz target: a segment file of arbitrary bytes must be refused with a
// message or attached and used (counters block included, also through the
// read-only Observer) without reading or writing outside the mapping. The input is written to a private file under /dev/shm; dp_pid is
// set to this process so the liveness check does not stop every input.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/ipc/client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  std::vector<uint8_t> buf(data, data + size);
  if (size >= offsetof(flatnet_ipc_header, state)) {
    uint32_t me = uint32_t(getpid());
    memcpy(buf.data() + offsetof(flatnet_ipc_header, dp_pid), &me, sizeof me);
  }
  std::string path = "/dev/shm/flatnet-fuzz-" + std::to_string(getpid()) + ".ipc";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  bool ok = write(fd, buf.data(), buf.size()) == ssize_t(buf.size());
  close(fd);
  if (ok) {
    std::string err;
    {  // the read-only view sees the same header checks
      auto o = flatnet::ipc::Observer::open(path, &err);
      flatnet::ipc::CounterSnapshot snap;
      if (o) o->read_counters(&snap, &err);
      else if (err.empty()) __builtin_trap();
    }
    err.clear();
    auto c = flatnet::ipc::Client::attach(path, &err);
    if (c) {
      c->poll_events([](const flatnet_ipc_event&) {}, 16);
      c->poll_punts([](const flatnet_ipc_slot_meta&, const uint8_t* d, uint32_t len) {
        volatile uint8_t sink = 0;
        for (uint32_t i = 0; i < len; ++i) sink = sink ^ d[i];
      }, 16);
      flatnet_ipc_command nop{};
      c->send_command(nop);
      uint8_t pkt[32] = {1};
      flatnet_ipc_phys_addr dst{};
      c->inject(pkt, sizeof pkt, dst);
      c->dataplane_alive();
      flatnet::ipc::CounterSnapshot snap;
      std::string serr;
      if (c->read_counters(&snap, &serr)) {
        for (size_t i = 0; i < snap.size(); ++i) (void)snap.total(i);
      } else if (serr.empty()) {
        __builtin_trap();
      }
    } else if (err.empty()) {
      __builtin_trap();  // a refusal must say why
    }
  }
  unlink(path.c_str());
  return 0;
}
