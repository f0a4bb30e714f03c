#include "dataplane/ipc/vl2_commands.hpp"

#include <algorithm>
#include <cstring>
#include <strings.h>

namespace flatnet::ipc::vl2 {

namespace {

flatnet_ipc_vl2_command head(uint16_t type, uint64_t addr, uint32_t seq, uint16_t flags) {
  flatnet_ipc_vl2_command v{};
  v.type = type;
  v.flags = flags;
  v.seq = seq;
  v.addr = addr;
  return v;
}

flatnet_ipc_command as_command(flatnet_ipc_vl2_command& v) {
  flatnet_ipc_command c;
  std::memcpy(&c, &v, sizeof c);
  explicit_bzero(&v, sizeof v);
  return c;
}

}  // namespace

flatnet_ipc_command network_set(const NetworkSettings& s, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_NETWORK_SET, 0, seq, flags);
  v.u.t.nwid = s.nwid;
  v.u.t.multicast_limit = s.multicast_limit;
  v.u.t.mtu = s.mtu;
  v.u.t.net_flags = uint8_t((s.enable_broadcast ? FLATNET_IPC_VL2_NET_BROADCAST : 0) |
                            (s.is_private ? FLATNET_IPC_VL2_NET_PRIVATE : 0) |
                            (s.loop_guard ? 0 : FLATNET_IPC_VL2_NET_NO_LOOP_GUARD));
  v.u.t.mac_capacity = s.mac_capacity;
  return as_command(v);
}

flatnet_ipc_command network_delete(uint64_t nwid, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_NETWORK_DELETE, 0, seq, flags);
  v.u.t.nwid = nwid;
  return as_command(v);
}

flatnet_ipc_command member_set(uint64_t nwid, uint64_t addr, uint32_t member_flags, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_MEMBER_SET, addr, seq, flags);
  v.u.t.nwid = nwid;
  v.u.t.member_flags = member_flags | FLATNET_IPC_VL2_MEMBER_PRESENT;
  return as_command(v);
}

flatnet_ipc_command member_delete(uint64_t nwid, uint64_t addr, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_MEMBER_DELETE, addr, seq, flags);
  v.u.t.nwid = nwid;
  return as_command(v);
}

flatnet_ipc_command peer_key_set(uint64_t addr, const uint8_t key[FLATNET_IPC_VL2_KEY_SIZE], unsigned suite,
                                 uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_PEER_KEY_SET, addr, seq,
                uint16_t((flags & 0xff) | (suite & 0xff) << FLATNET_IPC_VL2_SUITE_SHIFT));
  std::memcpy(v.u.key, key, FLATNET_IPC_VL2_KEY_SIZE);
  return as_command(v);
}

flatnet_ipc_command peer_key_delete(uint64_t addr, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_PEER_KEY_DELETE, addr, seq, flags);
  return as_command(v);
}

flatnet_ipc_command mac_set(uint64_t nwid, uint64_t mac, uint64_t behind, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_MAC_SET, behind, seq, flags);
  v.u.t.nwid = nwid;
  v.u.t.mac = mac;
  return as_command(v);
}

flatnet_ipc_command mac_delete(uint64_t nwid, uint64_t mac, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_MAC_DELETE, 0, seq, flags);
  v.u.t.nwid = nwid;
  v.u.t.mac = mac;
  return as_command(v);
}

flatnet_ipc_command subscribe(uint64_t nwid, uint64_t mac, uint32_t adi, uint64_t member, uint32_t seq,
                              uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_SUBSCRIBE, member, seq, flags);
  v.u.t.nwid = nwid;
  v.u.t.mac = mac;
  v.u.t.adi = adi;
  return as_command(v);
}

flatnet_ipc_command unsubscribe(uint64_t nwid, uint64_t mac, uint32_t adi, uint64_t member, uint32_t seq,
                                uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_UNSUBSCRIBE, member, seq, flags);
  v.u.t.nwid = nwid;
  v.u.t.mac = mac;
  v.u.t.adi = adi;
  return as_command(v);
}

std::vector<flatnet_ipc_command> rules(uint64_t nwid, std::span<const uint8_t> rules_bin, bool unsupported_match,
                                       uint32_t seq) {
  std::vector<flatnet_ipc_command> out;
  if (rules_bin.empty() || rules_bin.size() > FLATNET_IPC_VL2_RULES_MAX) return out;
  for (size_t off = 0; off < rules_bin.size(); off += FLATNET_IPC_VL2_RULES_CHUNK) {
    auto v = head(FLATNET_IPC_CMD_VL2_RULES_CHUNK, 0, seq, 0);
    v.u.r.nwid = nwid;
    v.u.r.total = uint32_t(rules_bin.size());
    v.u.r.offset = uint32_t(off);
    v.u.r.len = uint8_t(std::min<size_t>(FLATNET_IPC_VL2_RULES_CHUNK, rules_bin.size() - off));
    v.u.r.flags = unsupported_match ? FLATNET_IPC_VL2_RULES_UNSUPPORTED : 0;
    std::memcpy(v.u.r.data, rules_bin.data() + off, v.u.r.len);
    out.push_back(as_command(v));
  }
  return out;
}

std::vector<uint8_t> creds_blob(const Credentials& c) {
  std::vector<uint8_t> b;
  auto put = [&](uint64_t v, unsigned n) {
    for (unsigned i = n; i-- > 0;) b.push_back(uint8_t(v >> (8 * i)));
  };
  put(c.tags.size(), 2);
  for (const Tag& t : c.tags) {
    put(t.id, 4);
    put(t.value, 4);
  }
  put(c.caps.size(), 2);
  for (const Capability& k : c.caps) {
    put(k.id, 4);
    put(k.rules.size(), 2);
    b.insert(b.end(), k.rules.begin(), k.rules.end());
  }
  if (!c.owns_any()) return b;  // the section is optional: a blob without it owns nothing
  put(c.ips4.size(), 2);
  for (const auto& a : c.ips4) b.insert(b.end(), a.begin(), a.end());
  put(c.ips6.size(), 2);
  for (const auto& a : c.ips6) b.insert(b.end(), a.begin(), a.end());
  put(c.macs.size(), 2);
  for (uint64_t m : c.macs) put(m, 6);
  b.push_back(uint8_t((c.ndp_6plane ? 1 : 0) | (c.ndp_rfc4193 ? 2 : 0)));
  if (c.ndp_6plane) b.insert(b.end(), c.ndp_6plane->begin(), c.ndp_6plane->end());
  if (c.ndp_rfc4193) b.insert(b.end(), c.ndp_rfc4193->begin(), c.ndp_rfc4193->end());
  return b;
}

void Credentials::sort_owned() {
  auto tidy = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  tidy(ips4);
  tidy(ips6);
  tidy(macs);
}

std::vector<flatnet_ipc_command> creds(uint64_t nwid, uint64_t addr, const Credentials& c, uint32_t seq) {
  std::vector<flatnet_ipc_command> out;
  if (c.tags.size() > 64 || c.caps.size() > 32) return out;
  const size_t owned_max = FLATNET_IPC_VL2_CREDS_MAX_OWNED;
  if (c.ips4.size() > owned_max || c.ips6.size() > owned_max || c.macs.size() > owned_max) return out;
  for (const Capability& k : c.caps)
    if (k.rules.size() > 0xffff) return out;
  const std::vector<uint8_t> blob = creds_blob(c);
  if (blob.size() > FLATNET_IPC_VL2_CREDS_MAX) return out;
  for (size_t off = 0; off < blob.size(); off += FLATNET_IPC_VL2_RULES_CHUNK) {
    auto v = head(FLATNET_IPC_CMD_VL2_CREDS_CHUNK, addr, seq, 0);
    v.u.r.nwid = nwid;
    v.u.r.total = uint32_t(blob.size());
    v.u.r.offset = uint32_t(off);
    v.u.r.len = uint8_t(std::min<size_t>(FLATNET_IPC_VL2_RULES_CHUNK, blob.size() - off));
    std::memcpy(v.u.r.data, blob.data() + off, v.u.r.len);
    out.push_back(as_command(v));
  }
  return out;
}

flatnet_ipc_command creds_delete(uint64_t nwid, uint64_t addr, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_CREDS_DELETE, addr, seq, flags);
  v.u.t.nwid = nwid;
  return as_command(v);
}

flatnet_ipc_command epoch_begin(uint32_t epoch, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_EPOCH_BEGIN, 0, seq, flags);
  v.u.e.epoch = epoch;
  return as_command(v);
}

flatnet_ipc_command sweep(uint32_t epoch, uint32_t seq, uint16_t flags) {
  auto v = head(FLATNET_IPC_CMD_VL2_SWEEP, 0, seq, flags);
  v.u.e.epoch = epoch;
  return as_command(v);
}

void wipe_command(flatnet_ipc_command& c) { explicit_bzero(&c, sizeof c); }

}  // namespace flatnet::ipc::vl2
