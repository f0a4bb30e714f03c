// Underlay port set-up: queues, RSS where the port offers it, mempool, MTU.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "dataplane/fastpath/addr.hpp"

namespace flatnet::runtime {

struct PortInfo {
  uint16_t port_id = 0;
  uint16_t queues = 1;   // rx and tx queue pairs, one per worker
  bool rss = false;
  fastpath::Mac mac;
  std::string driver;
};

// Configures and starts the port named `name` with up to `want_queues`
// queue pairs (fewer if the port has fewer). false + *err on failure.
bool setup_port(const std::string& name, unsigned want_queues, unsigned rx_desc,
                unsigned tx_desc, uint16_t mtu, rte_mempool* pool, PortInfo* out,
                std::string* err);
void stop_port(uint16_t port_id);

}  // namespace flatnet::runtime
