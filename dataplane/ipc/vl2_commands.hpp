// Builders of the gateway's VL2 commands (abi.h FLATNET_IPC_CMD_VL2_*,
// docs/ipc-abi.md "VL2 commands") for control: plain values, no DPDK. A
// MAC is the low 48 bits of a uint64 with its first byte most significant.
// A PEER_KEY_SET command holds the key: send it, then wipe_command() it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/ipc/abi.h"

namespace flatnet::ipc::vl2 {

struct NetworkSettings {
  uint64_t nwid = 0;
  uint32_t multicast_limit = 32;
  uint16_t mtu = 2800;
  bool enable_broadcast = true;
  bool is_private = true;
  bool loop_guard = true;     // docs/gateway.md "Loops"
  uint32_t mac_capacity = 0;  // 0 = the data plane's configured bound
};

flatnet_ipc_command network_set(const NetworkSettings& s, uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command network_delete(uint64_t nwid, uint32_t seq = 0, uint16_t flags = 0);
// member_flags: FLATNET_IPC_VL2_MEMBER_* (PRESENT is implied).
flatnet_ipc_command member_set(uint64_t nwid, uint64_t addr, uint32_t member_flags, uint32_t seq = 0,
                               uint16_t flags = 0);
flatnet_ipc_command member_delete(uint64_t nwid, uint64_t addr, uint32_t seq = 0, uint16_t flags = 0);
// suite: 1 (Salsa20/12-Poly1305) or 3 (AES-GMAC-SIV), what we armor with toward addr.
flatnet_ipc_command peer_key_set(uint64_t addr, const uint8_t key[FLATNET_IPC_VL2_KEY_SIZE], unsigned suite,
                                 uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command peer_key_delete(uint64_t addr, uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command mac_set(uint64_t nwid, uint64_t mac, uint64_t behind, uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command mac_delete(uint64_t nwid, uint64_t mac, uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command subscribe(uint64_t nwid, uint64_t mac, uint32_t adi, uint64_t member, uint32_t seq = 0,
                              uint16_t flags = 0);
flatnet_ipc_command unsubscribe(uint64_t nwid, uint64_t mac, uint32_t adi, uint64_t member, uint32_t seq = 0,
                                uint16_t flags = 0);
// The network's rules (spec §10.9 binary form, the config's "R") as the
// RULES_CHUNK commands that install them, in order; empty if too long.
std::vector<flatnet_ipc_command> rules(uint64_t nwid, std::span<const uint8_t> rules_bin, bool unsupported_match,
                                       uint32_t seq = 0);
// A member's tags and capabilities as the rules use them (addr 0 = the
// gateway's own): the CREDS_CHUNK commands that install them, in order;
// empty if over the bounds (64 tags, 32 capabilities, FLATNET_IPC_VL2_CREDS_MAX_OWNED
// of each owned kind, FLATNET_IPC_VL2_CREDS_MAX bytes).
struct Tag {
  uint32_t id = 0, value = 0;
  bool operator==(const Tag&) const = default;
  auto operator<=>(const Tag&) const = default;
};
struct Capability {
  uint32_t id = 0;
  std::vector<uint8_t> rules;  // spec §10.9 binary form
  bool operator==(const Capability&) const = default;
};
struct Credentials {
  std::vector<Tag> tags;          // sorted by id, unique ids
  std::vector<Capability> caps;   // in the order the filter asks them
  // What the member owns (its verified certificates of ownership; ours: the
  // config's), each ascending and unique, at most
  // FLATNET_IPC_VL2_CREDS_MAX_OWNED of each. MAC as the low 48 bits.
  std::vector<std::array<uint8_t, 4>> ips4;
  std::vector<std::array<uint8_t, 16>> ips6;
  std::vector<uint64_t> macs;
  // Ours only (addr 0): the network's NDP-emulated prefixes, whose IPv6
  // senders count as owning their address inbound (stock's _isV6NDPEmulated).
  std::optional<std::array<uint8_t, 5>> ndp_6plane;
  std::optional<std::array<uint8_t, 11>> ndp_rfc4193;
  bool operator==(const Credentials&) const = default;
  bool owns_any() const {
    return !ips4.empty() || !ips6.empty() || !macs.empty() || ndp_6plane || ndp_rfc4193;
  }
  // Sorts and de-duplicates the owned lists (what the data plane wants).
  void sort_owned();
};
std::vector<uint8_t> creds_blob(const Credentials& c);
std::vector<flatnet_ipc_command> creds(uint64_t nwid, uint64_t addr, const Credentials& c, uint32_t seq = 0);
flatnet_ipc_command creds_delete(uint64_t nwid, uint64_t addr, uint32_t seq = 0, uint16_t flags = 0);
// Mark and sweep (docs/ipc-abi.md "Epochs"): what the commands after
// epoch_begin(e) set is stamped e; sweep(e) deletes every entry stamped
// otherwise. epoch != 0.
flatnet_ipc_command epoch_begin(uint32_t epoch, uint32_t seq = 0, uint16_t flags = 0);
flatnet_ipc_command sweep(uint32_t epoch, uint32_t seq = 0, uint16_t flags = 0);
// Zeroes a command (a PEER_KEY_SET's key) so the compiler cannot skip it.
void wipe_command(flatnet_ipc_command& c);

}  // namespace flatnet::ipc::vl2
