#include "dataplane/fastpath/meta.hpp"

namespace flatnet::fastpath {

rte_mempool* make_pool(const char* name, unsigned n, int socket, uint16_t data_room) {
  if (data_room == 0) data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
  unsigned cache = n >= 4096 ? 256 : 32;
  return rte_pktmbuf_pool_create(name, n, cache, kPrivSize, data_room, socket);
}

}  // namespace flatnet::fastpath
