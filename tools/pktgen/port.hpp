// One DPDK port with one rx and one tx queue, set up for the generator.
// (Written here rather than borrowed from the data plane: tools reach the
// data plane only through wire/ and ipc/.)
#pragma once

#include <cstdint>
#include <string>

#include "tools/pktgen/frame.hpp"

struct rte_mempool;

namespace flatnet::pktgen {

struct Port {
  uint16_t id = 0;
  rte_mempool* pool = nullptr;
  Mac mac{};
};

// Configures and starts port_id, then waits up to link_wait_s for link up
// (a memif port is up once its peer has connected). Returns an error message,
// or "" on success.
std::string port_open(uint16_t port_id, unsigned ring_size, unsigned pool_size,
                      double link_wait_s, Port& out);

void port_close(const Port& p);

}  // namespace flatnet::pktgen
