// Fuzz target: a segment file of arbitrary bytes must be refused with a
// message or attached and used (counters block included, also through the
// read-only Observer) without reading or writing outside the mapping. The
// input is written to a private 0600 file under /dev/shm, and this process
// holds the data plane's lock on it so the liveness check does not stop
// every input.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/segment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  std::vector<uint8_t> buf(data, data + size);
  std::string path = "/dev/shm/flatnet-fuzz-" + std::to_string(getpid()) + ".ipc";
  unlink(path.c_str());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return 0;
  // The lock is kept until the end: as far as the client can tell, a data
  // plane runs behind the file.
  bool ok = write(fd, buf.data(), buf.size()) == ssize_t(buf.size()) &&
            flatnet::ipc::seg::dp_lock_take(fd);
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
  close(fd);
  unlink(path.c_str());
  return 0;
}
