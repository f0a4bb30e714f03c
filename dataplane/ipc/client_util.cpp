// Command builders for control and tools.
#include "dataplane/ipc/client.hpp"

namespace flatnet::ipc {

flatnet_ipc_command make_upsert(uint64_t addr, const flatnet_ipc_phys_addr& path, uint32_t seq,
                                uint16_t flags) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_PEER_UPSERT;
  c.flags = flags;
  c.seq = seq;
  c.addr = addr;
  c.path = path;
  return c;
}

flatnet_ipc_command make_delete(uint64_t addr, uint32_t seq, uint16_t flags) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_PEER_DELETE;
  c.flags = flags;
  c.seq = seq;
  c.addr = addr;
  return c;
}

flatnet_ipc_command make_config(uint32_t key, uint64_t value, uint32_t seq, uint16_t flags) {
  flatnet_ipc_command c{};
  c.type = FLATNET_IPC_CMD_SET_CONFIG;
  c.flags = flags;
  c.seq = seq;
  c.key = key;
  c.value = value;
  return c;
}

}  // namespace flatnet::ipc
