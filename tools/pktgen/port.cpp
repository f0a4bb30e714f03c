#include "tools/pktgen/port.hpp"

#include "tools/pktgen/plan.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <csignal>
#include <string>

namespace flatnet::pktgen {

std::string port_open(uint16_t port_id, unsigned ring_size, unsigned pool_size,
                      double link_wait_s, Port& out) {
  if (!rte_eth_dev_is_valid_port(port_id))
    return "port " + std::to_string(port_id) + " does not exist (" +
           std::to_string(rte_eth_dev_count_avail()) + " ports; give one with --vdev after --)";
  out.id = port_id;
  out.pool = rte_pktmbuf_pool_create(("pktgen_pool" + std::to_string(port_id)).c_str(), pool_size, 256, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
  if (!out.pool) return std::string("mbuf pool: ") + rte_strerror(rte_errno);

  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
  if (rc < 0) return "rte_eth_dev_configure: " + std::string(rte_strerror(-rc));
  uint16_t nrx = uint16_t(ring_size), ntx = uint16_t(ring_size);
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrx, &ntx);
  if (rc < 0) return "adjust descriptors: " + std::string(rte_strerror(-rc));
  int socket = rte_eth_dev_socket_id(port_id);
  if (socket < 0) socket = 0;
  rc = rte_eth_rx_queue_setup(port_id, 0, nrx, unsigned(socket), nullptr, out.pool);
  if (rc < 0) return "rx queue: " + std::string(rte_strerror(-rc));
  rc = rte_eth_tx_queue_setup(port_id, 0, ntx, unsigned(socket), nullptr);
  if (rc < 0) return "tx queue: " + std::string(rte_strerror(-rc));
  rc = rte_eth_dev_start(port_id);
  if (rc < 0) return "start: " + std::string(rte_strerror(-rc));
  rte_eth_promiscuous_enable(port_id);  // not every virtual port has it; that is fine

  rte_ether_addr a;
  rte_eth_macaddr_get(port_id, &a);
  for (int i = 0; i < 6; ++i) out.mac[size_t(i)] = a.addr_bytes[i];

  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t deadline = rte_get_tsc_cycles() + uint64_t(link_wait_s * double(hz));
  for (;;) {
    rte_eth_link link{};
    rte_eth_link_get_nowait(port_id, &link);
    if (link.link_status == RTE_ETH_LINK_UP) return "";
    if (g_stop || rte_get_tsc_cycles() > deadline)
      return "link of port " + std::to_string(port_id) + " did not come up within " +
             std::to_string(link_wait_s) + " s (is the other end running?)";
    rte_delay_ms(10);
  }
}

void port_close(const Port& p) {
  rte_eth_dev_stop(p.id);
  rte_eth_dev_close(p.id);
}

}  // namespace flatnet::pktgen
