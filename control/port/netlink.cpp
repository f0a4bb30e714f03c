// rtnetlink requests through libmnl. See netlink.hpp.
#include "control/port/netlink.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace flatnet::control::port {

namespace {

using Family = wire::InetAddress::Family;

int af_of(const wire::InetAddress& a) {
  return a.family == Family::kV4 ? AF_INET : a.family == Family::kV6 ? AF_INET6 : AF_UNSPEC;
}
size_t len_of(const wire::InetAddress& a) { return a.family == Family::kV4 ? 4 : 16; }

wire::InetAddress from_attr(int af, const nlattr* attr, uint16_t bits) {
  const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
  const size_t n = mnl_attr_get_payload_len(attr);
  if (af == AF_INET && n >= 4) return wire::InetAddress::v4(p, bits);
  if (af == AF_INET6 && n >= 16) return wire::InetAddress::v6(p, bits);
  return {};
}

// Collects the attributes of one message by type (the last of each type
// wins), bounded by the table size.
struct Attrs {
  static constexpr int kMax = 64;
  const nlattr* a[kMax] = {};
};
int collect_attr(const nlattr* attr, void* data) {
  const int type = mnl_attr_get_type(attr);
  if (type >= 0 && type < Attrs::kMax) static_cast<Attrs*>(data)->a[type] = attr;
  return MNL_CB_OK;
}

struct LinkDump {
  LinkInfo* out;
};
int on_link(const nlmsghdr* nlh, void* data) {
  auto* ld = static_cast<LinkDump*>(data);
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs at;
  if (mnl_attr_parse(nlh, sizeof(*ifi), collect_attr, &at) < 0) return MNL_CB_ERROR;
  LinkInfo& li = *ld->out;
  li = LinkInfo{};
  li.index = ifi->ifi_index;
  li.flags = ifi->ifi_flags;
  li.up = (ifi->ifi_flags & IFF_UP) != 0;
  if (at.a[IFLA_IFNAME]) li.name = mnl_attr_get_str(at.a[IFLA_IFNAME]);
  if (at.a[IFLA_MTU]) li.mtu = mnl_attr_get_u32(at.a[IFLA_MTU]);
  if (at.a[IFLA_NUM_TX_QUEUES]) li.tx_queues = mnl_attr_get_u32(at.a[IFLA_NUM_TX_QUEUES]);
  if (at.a[IFLA_NUM_RX_QUEUES]) li.rx_queues = mnl_attr_get_u32(at.a[IFLA_NUM_RX_QUEUES]);
  if (at.a[IFLA_TXQLEN]) li.txqlen = mnl_attr_get_u32(at.a[IFLA_TXQLEN]);
  if (at.a[IFLA_MASTER]) li.master = int(mnl_attr_get_u32(at.a[IFLA_MASTER]));
  if (at.a[IFLA_ADDRESS] && mnl_attr_get_payload_len(at.a[IFLA_ADDRESS]) == 6)
    li.mac = mac_from_bytes(static_cast<const uint8_t*>(mnl_attr_get_payload(at.a[IFLA_ADDRESS])));
  return MNL_CB_OK;
}

struct AddrDump {
  int ifindex;
  std::vector<wire::InetAddress>* out;
};
int on_addr(const nlmsghdr* nlh, void* data) {
  auto* d = static_cast<AddrDump*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (int(ifa->ifa_index) != d->ifindex) return MNL_CB_OK;
  Attrs at;
  if (mnl_attr_parse(nlh, sizeof(*ifa), collect_attr, &at) < 0) return MNL_CB_ERROR;
  // IPv4 keeps the interface's own address in IFA_LOCAL (IFA_ADDRESS is the
  // peer on point-to-point links); IPv6 has only IFA_ADDRESS.
  const nlattr* a = at.a[IFA_LOCAL] ? at.a[IFA_LOCAL] : at.a[IFA_ADDRESS];
  if (a) {
    const auto addr = from_attr(ifa->ifa_family, a, ifa->ifa_prefixlen);
    if (!addr.is_null()) d->out->push_back(addr);
  }
  return MNL_CB_OK;
}

struct RouteDump {
  int ifindex;
  std::vector<Route>* out;
};
int on_route(const nlmsghdr* nlh, void* data) {
  auto* d = static_cast<RouteDump*>(data);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_type != RTN_UNICAST) return MNL_CB_OK;
  Attrs at;
  if (mnl_attr_parse(nlh, sizeof(*rtm), collect_attr, &at) < 0) return MNL_CB_ERROR;
  const uint32_t table = at.a[RTA_TABLE] ? mnl_attr_get_u32(at.a[RTA_TABLE]) : rtm->rtm_table;
  if (table != RT_TABLE_MAIN) return MNL_CB_OK;
  if (!at.a[RTA_OIF] || int(mnl_attr_get_u32(at.a[RTA_OIF])) != d->ifindex) return MNL_CB_OK;
  Route r;
  if (at.a[RTA_DST]) {
    r.target = from_attr(rtm->rtm_family, at.a[RTA_DST], rtm->rtm_dst_len);
  } else {
    static const uint8_t zero[16] = {};
    r.target = rtm->rtm_family == AF_INET ? wire::InetAddress::v4(zero, 0)
                                          : wire::InetAddress::v6(zero, 0);
  }
  if (at.a[RTA_GATEWAY]) r.via = from_attr(rtm->rtm_family, at.a[RTA_GATEWAY], 0);
  if (at.a[RTA_PRIORITY]) r.metric = mnl_attr_get_u32(at.a[RTA_PRIORITY]);
  if (!r.target.is_null()) d->out->push_back(r);
  return MNL_CB_OK;
}

}  // namespace

std::unique_ptr<Netlink> Netlink::open(std::string* err) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl) {
    if (err) *err = std::string("netlink socket: ") + std::strerror(errno);
    return nullptr;
  }
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    if (err) *err = std::string("netlink bind: ") + std::strerror(errno);
    mnl_socket_close(nl);
    return nullptr;
  }
  timeval tv{2, 0};
  ::setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return std::unique_ptr<Netlink>(new Netlink(nl, mnl_socket_get_portid(nl)));
}

Netlink::Netlink(mnl_socket* nl, uint32_t portid)
    : nl_(nl),
      portid_(portid),
      seq_(uint32_t(::time(nullptr))),
      buf_(MNL_SOCKET_BUFFER_SIZE),
      rx_(MNL_SOCKET_BUFFER_SIZE) {}

Netlink::~Netlink() { mnl_socket_close(nl_); }

nlmsghdr* Netlink::start(uint16_t type, uint16_t flags) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = ++seq_;
  return nlh;
}

int Netlink::transact(nlmsghdr* nlh, MsgCb cb, void* data) {
  // The request is built in buf_; answers are read into rx_, so the request
  // stays intact while they are parsed.
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return -errno;
  const uint32_t seq = nlh->nlmsg_seq;
  std::vector<char>& rx = rx_;
  // A dump of a busy host's routes is many datagrams; bound the loop anyway.
  for (int i = 0; i < 100000; ++i) {
    const ssize_t n = mnl_socket_recvfrom(nl_, rx.data(), rx.size());
    if (n < 0) return errno == EAGAIN ? -ETIMEDOUT : -errno;
    const int r = mnl_cb_run(rx.data(), size_t(n), seq, portid_, cb, data);
    if (r == MNL_CB_STOP) return 0;
    if (r < 0) return errno ? -errno : -EPROTO;
  }
  return -E2BIG;
}

int Netlink::link_index(const std::string& name, int* ifindex) {
  nlmsghdr* nlh = start(RTM_GETLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  LinkInfo li;
  LinkDump ld{&li};
  const int r = transact(nlh, on_link, &ld);
  if (r == 0) *ifindex = li.index;
  return r;
}

int Netlink::link_get(int ifindex, LinkInfo* out) {
  nlmsghdr* nlh = start(RTM_GETLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  LinkDump ld{out};
  return transact(nlh, on_link, &ld);
}

int Netlink::link_set(int ifindex, const LinkChange& c) {
  nlmsghdr* nlh = start(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  if (c.up) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = *c.up ? IFF_UP : 0;
  }
  if (c.mtu) mnl_attr_put_u32(nlh, IFLA_MTU, *c.mtu);
  if (c.mac) {
    const auto b = mac_bytes(*c.mac);
    mnl_attr_put(nlh, IFLA_ADDRESS, b.size(), b.data());
  }
  if (c.txqlen) mnl_attr_put_u32(nlh, IFLA_TXQLEN, *c.txqlen);
  if (c.master) mnl_attr_put_u32(nlh, IFLA_MASTER, uint32_t(*c.master));
  return transact(nlh, nullptr, nullptr);
}

int Netlink::address_request(uint16_t type, uint16_t flags, int ifindex, const wire::InetAddress& a) {
  const int af = af_of(a);
  if (af == AF_UNSPEC || a.port > (af == AF_INET ? 32 : 128)) return -EINVAL;
  nlmsghdr* nlh = start(type, NLM_F_ACK | flags);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = uint8_t(af);
  ifa->ifa_prefixlen = uint8_t(a.port);
  ifa->ifa_index = uint32_t(ifindex);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  if (af == AF_INET) mnl_attr_put(nlh, IFA_LOCAL, 4, a.ip.data());
  mnl_attr_put(nlh, IFA_ADDRESS, len_of(a), a.ip.data());
  // Stock gives an IPv4 address its subnet's broadcast address; /31 and /32
  // have none (RFC 3021).
  if (af == AF_INET && type == RTM_NEWADDR && a.port < 31) {
    uint8_t brd[4];
    for (int i = 0; i < 4; ++i) {
      const int host_bits = std::max(0, std::min(8, (i + 1) * 8 - int(a.port)));
      brd[i] = uint8_t(a.ip[i] | ((1u << host_bits) - 1));
    }
    mnl_attr_put(nlh, IFA_BROADCAST, 4, brd);
  }
  return transact(nlh, nullptr, nullptr);
}

int Netlink::address_add(int ifindex, const wire::InetAddress& a) {
  return address_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a);
}

int Netlink::address_remove(int ifindex, const wire::InetAddress& a) {
  return address_request(RTM_DELADDR, 0, ifindex, a);
}

int Netlink::address_dump(int ifindex, std::vector<wire::InetAddress>* out) {
  out->clear();
  nlmsghdr* nlh = start(RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  AddrDump d{ifindex, out};
  return transact(nlh, on_addr, &d);
}

int Netlink::route_request(uint16_t type, uint16_t flags, int ifindex, const Route& r) {
  const int af = af_of(r.target);
  if (af == AF_UNSPEC || r.target.port > (af == AF_INET ? 32 : 128)) return -EINVAL;
  if (!r.via.is_null() && af_of(r.via) != af) return -EINVAL;
  nlmsghdr* nlh = start(type, NLM_F_ACK | flags);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = uint8_t(af);
  rtm->rtm_dst_len = uint8_t(r.target.port);
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_type = RTN_UNICAST;
  // Deleting matches on what is given; the scope only matters when adding.
  rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE
                   : r.via.is_null() ? RT_SCOPE_LINK
                                     : RT_SCOPE_UNIVERSE;
  mnl_attr_put(nlh, RTA_DST, len_of(r.target), r.target.ip.data());
  if (!r.via.is_null()) mnl_attr_put(nlh, RTA_GATEWAY, len_of(r.via), r.via.ip.data());
  if (r.metric != 0) mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
  mnl_attr_put_u32(nlh, RTA_OIF, uint32_t(ifindex));
  return transact(nlh, nullptr, nullptr);
}

int Netlink::route_add(int ifindex, const Route& r) {
  return route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifindex, r);
}

int Netlink::route_remove(int ifindex, const Route& r) {
  return route_request(RTM_DELROUTE, 0, ifindex, r);
}

int Netlink::route_dump(int ifindex, std::vector<Route>* out) {
  out->clear();
  nlmsghdr* nlh = start(RTM_GETROUTE, NLM_F_DUMP);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_UNSPEC;
  RouteDump d{ifindex, out};
  return transact(nlh, on_route, &d);
}

}  // namespace flatnet::control::port
