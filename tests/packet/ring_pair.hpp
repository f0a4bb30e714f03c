// Two net_ring ethdevs joined back to back inside one process: what one
// transmits the other receives. Used by the poll-loop tests and by
// bench_fastpath's port modes. Each port has one queue pair, configured
// and started.
#pragma once

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <string>

namespace flatnet::test {

struct RingPair {
  uint16_t peer = 0;  // the outside end (generator, test peer)
  uint16_t dp = 0;    // the end the data plane's poll loop owns
  rte_ring* to_dp = nullptr;
  rte_ring* from_dp = nullptr;
};

// `tag` makes the ring and port names unique in the process; `ring_size`
// is a power of two. False (with *err) if any step fails.
inline bool make_ring_pair(const std::string& tag, unsigned ring_size, rte_mempool* pool, RingPair* out,
                           std::string* err) {
  constexpr unsigned kFlags = RING_F_SP_ENQ | RING_F_SC_DEQ;
  out->to_dp = rte_ring_create(("rp_in_" + tag).c_str(), ring_size, SOCKET_ID_ANY, kFlags);
  out->from_dp = rte_ring_create(("rp_out_" + tag).c_str(), ring_size, SOCKET_ID_ANY, kFlags);
  if (!out->to_dp || !out->from_dp) return *err = "rings: " + std::string(rte_strerror(rte_errno)), false;
  // rte_vdev_init matches the driver by name prefix: the names must start with net_ring.
  int peer = rte_eth_from_rings(("net_ring_peer_" + tag).c_str(), &out->from_dp, 1, &out->to_dp, 1, SOCKET_ID_ANY);
  int dp = rte_eth_from_rings(("net_ring_dp_" + tag).c_str(), &out->to_dp, 1, &out->from_dp, 1, SOCKET_ID_ANY);
  if (peer < 0 || dp < 0) return *err = "ring ports: " + std::string(rte_strerror(rte_errno)), false;
  out->peer = uint16_t(peer);
  out->dp = uint16_t(dp);
  const uint16_t desc = uint16_t(ring_size / 4);  // descriptor counts the ring PMD ignores
  for (uint16_t port : {out->peer, out->dp}) {
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(port, 0, desc, SOCKET_ID_ANY, nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(port, 0, desc, SOCKET_ID_ANY, nullptr) != 0 || rte_eth_dev_start(port) != 0)
      return *err = "ring ports: cannot configure and start port " + std::to_string(port), false;
  }
  return true;
}

}  // namespace flatnet::test
