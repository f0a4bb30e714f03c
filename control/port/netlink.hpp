// The tap's kernel state through rtnetlink (libmnl): link up/down, MTU and
// MAC; IPv4/IPv6 addresses; routes in the main table; dumps of what the link
// has. One request at a time, each waiting for the kernel's answer (with a
// 2 s receive timeout, so a lost answer cannot hang the caller).
//
// Works in the network namespace of the thread that opened it. Every call
// returns 0 or a negative errno (e.g. -EEXIST, -ENODEV); nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/port/addressing.hpp"
#include "control/port/route.hpp"
#include "dataplane/wire/inet_address.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace flatnet::control::port {

struct LinkInfo {
  int index = 0;
  std::string name;
  Mac mac = 0;
  uint32_t mtu = 0;
  bool up = false;         // administratively (IFF_UP)
  uint32_t flags = 0;      // IFF_*
  uint32_t tx_queues = 0;  // IFLA_NUM_TX_QUEUES
  uint32_t rx_queues = 0;
  uint32_t txqlen = 0;     // IFLA_TXQLEN: frames the device's queue holds
  int master = 0;          // IFLA_MASTER: the bridge it is enslaved to, 0 none
};

struct LinkChange {
  std::optional<bool> up;
  std::optional<uint32_t> mtu;
  std::optional<Mac> mac;
  // IFLA_TXQLEN: the transmit queue's length in frames (a tap's queue holds
  // what the kernel sends until the daemon reads it; overflow is a drop).
  std::optional<uint32_t> txqlen;
  // Bridge mode: enslave to the bridge of this index; 0 releases.
  std::optional<int> master;
};

class Netlink {
 public:
  // nullptr and *err when the socket cannot be opened.
  static std::unique_ptr<Netlink> open(std::string* err);
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  int link_index(const std::string& name, int* ifindex);
  int link_get(int ifindex, LinkInfo* out);
  int link_set(int ifindex, const LinkChange& change);

  // Port field = prefix length.
  int address_add(int ifindex, const wire::InetAddress& a);
  int address_remove(int ifindex, const wire::InetAddress& a);
  // IPv4 and IPv6 addresses of the link, the kernel's link-local included.
  int address_dump(int ifindex, std::vector<wire::InetAddress>* out);

  // Main table, protocol "static" (stock's), out of `ifindex`; an on-link
  // route has link scope, a gateway route universe scope.
  int route_add(int ifindex, const Route& r);
  int route_remove(int ifindex, const Route& r);
  // Unicast routes of the main table leaving through `ifindex`, whoever
  // added them (the kernel's prefix routes too).
  int route_dump(int ifindex, std::vector<Route>* out);

 private:
  Netlink(mnl_socket* nl, uint32_t portid);
  // Sends the message and reads answers until its ACK or DONE; `cb` sees
  // each data message (dumps). Returns 0 or -errno.
  using MsgCb = int (*)(const nlmsghdr*, void*);
  int transact(nlmsghdr* nlh, MsgCb cb, void* data);
  nlmsghdr* start(uint16_t type, uint16_t flags);
  int address_request(uint16_t type, uint16_t flags, int ifindex, const wire::InetAddress& a);
  int route_request(uint16_t type, uint16_t flags, int ifindex, const Route& r);

  mnl_socket* nl_;
  uint32_t portid_;
  uint32_t seq_;
  std::vector<char> buf_;  // the request being built
  std::vector<char> rx_;   // answers
};

}  // namespace flatnet::control::port
