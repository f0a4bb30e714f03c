#include "dataplane/runtime/port.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>

namespace flatnet::runtime {

namespace {
bool failed(std::string* err, const std::string& what, int rc) {
  *err = what + ": " + rte_strerror(rc < 0 ? -rc : rc);
  return false;
}
}  // namespace

bool setup_port(const std::string& name, unsigned want_queues, unsigned rx_desc,
                unsigned tx_desc, uint16_t mtu, rte_mempool* pool, PortInfo* out,
                std::string* err, uint64_t want_rss_hf) {
  uint16_t pid;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
    *err = "port '" + name + "' not found (is its driver loaded and the devargs right?)";
    return false;
  }
  rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(pid, &info);
  if (rc != 0) return failed(err, "port '" + name + "': device info", rc);
  unsigned q = std::max(1u, std::min({want_queues, unsigned(info.max_rx_queues),
                                      unsigned(info.max_tx_queues)}));
  rte_eth_conf conf{};
  uint64_t rss_hf = info.flow_type_rss_offloads & want_rss_hf;
  bool rss = q > 1 && rss_hf != 0;
  if (rss) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
  }
  // Relayed mbufs all come from one pool with refcnt 1: fast free is safe.
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  rc = rte_eth_dev_configure(pid, uint16_t(q), uint16_t(q), &conf);
  if (rc != 0) return failed(err, "port '" + name + "': configure", rc);
  uint16_t nrx = uint16_t(rx_desc), ntx = uint16_t(tx_desc);
  rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
  int socket = rte_eth_dev_socket_id(pid);
  for (unsigned i = 0; i < q; ++i) {
    rc = rte_eth_rx_queue_setup(pid, uint16_t(i), nrx, socket < 0 ? 0 : unsigned(socket), nullptr, pool);
    if (rc != 0) return failed(err, "port '" + name + "': rx queue " + std::to_string(i), rc);
    rte_eth_txconf txc = info.default_txconf;
    txc.offloads = conf.txmode.offloads;
    rc = rte_eth_tx_queue_setup(pid, uint16_t(i), ntx, socket < 0 ? 0 : unsigned(socket), &txc);
    if (rc != 0) return failed(err, "port '" + name + "': tx queue " + std::to_string(i), rc);
  }
  // Virtual ports often cannot change their MTU; the relay checks sizes itself.
  (void)rte_eth_dev_set_mtu(pid, mtu);
  rc = rte_eth_dev_start(pid);
  if (rc != 0) return failed(err, "port '" + name + "': start", rc);
  rte_ether_addr mac;
  rte_eth_macaddr_get(pid, &mac);
  out->port_id = pid;
  out->queues = uint16_t(q);
  out->rss = rss;
  std::memcpy(out->mac.b, mac.addr_bytes, 6);
  out->driver = info.driver_name ? info.driver_name : "?";
  return true;
}

bool port_queues(const std::string& name, PortQueues* out, std::string* err) {
  uint16_t pid;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
    *err = "port '" + name + "' not found (is its driver loaded and the devargs right?)";
    return false;
  }
  rte_eth_dev_info info;
  const int rc = rte_eth_dev_info_get(pid, &info);
  if (rc != 0) return failed(err, "port '" + name + "': device info", rc);
  out->name = name;
  out->driver = info.driver_name ? info.driver_name : "?";
  out->max_queues = std::max(1u, std::min(unsigned(info.max_rx_queues), unsigned(info.max_tx_queues)));
  return true;
}

bool plan_pollers(const std::vector<PortQueues>& ports, unsigned want, unsigned* pollers, std::string* err) {
  unsigned n = std::max(1u, want);
  for (const PortQueues& p : ports) n = std::min(n, p.max_queues);
  for (const PortQueues& p : ports)
    if (p.driver == "net_af_packet" && p.max_queues > n) {
      *err = "port '" + p.name + "': af_packet qpairs=" + std::to_string(p.max_queues) + " but " +
             std::to_string(n) + " poller(s): the kernel would hash flows to queues nobody polls; set qpairs=" +
             std::to_string(n) + " or run as many workers";
      return false;
    }
  *pollers = n;
  return true;
}

void stop_port(uint16_t port_id) {
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
}

}  // namespace flatnet::runtime
