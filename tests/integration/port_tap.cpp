// control/port against the kernel: as root, in a network namespace of its
// own (the test process unshares one at start, so nothing it does reaches
// the host and the namespace disappears with the process), it creates taps
// by stock's names, sets MAC/MTU/up, addresses and routes through the
// port's netlink code, checks them with a netlink dump and with `ip -j`
// (an independent reader, when iproute2 is installed), exchanges frames with
// the kernel (ARP, ICMP echo, the kernel's own ARP request), enslaves a tap
// to a bridge (bridge mode), opens two
// queues, turns the vnet header on and splits a real TSO super-frame, and
// checks that closing removes the device. Skipped when not root. Every wait
// is a poll with a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "control/port/addressing.hpp"
#include "control/port/flow.hpp"
#include "control/port/managed.hpp"
#include "control/port/naming.hpp"
#include "control/port/netlink.hpp"
#include "control/port/subscriptions.hpp"
#include "control/port/sync.hpp"
#include "control/port/tap.hpp"
#include "control/port/vnet_hdr.hpp"

namespace flatnet::control::port {
namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kNwid = 0xee420f0cda000001ULL;  // the stock testnet's
constexpr uint64_t kMember = 0xee420f0cdaULL;      // its member a
constexpr Mac kPeerMac = 0x02aabbccdd02ULL;        // the "remote" host

// Enters a new network namespace once for the whole process; "" on
// success, else why the tests must skip.
const std::string& enter_namespace() {
  static const std::string why = [] {
    if (::geteuid() != 0) return std::string("needs root");
    if (::unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) return std::string("no /dev/net/tun");
    return std::string();
  }();
  return why;
}

wire::InetAddress A(const char* s) { return wire::InetAddress::from_string(s).value(); }

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}
bool have_ip() { return ::access("/usr/sbin/ip", X_OK) == 0 || ::access("/sbin/ip", X_OK) == 0; }

void put_mac(Bytes& f, size_t off, Mac m) {
  const auto b = mac_bytes(m);
  std::copy(b.begin(), b.end(), f.begin() + long(off));
}

Bytes arp_frame(uint16_t op, Mac src_mac, const char* src_ip, Mac dst_mac, const char* dst_ip) {
  Bytes f(42, 0);
  put_mac(f, 0, op == 1 ? 0xffffffffffffULL : dst_mac);
  put_mac(f, 6, src_mac);
  f[12] = 0x08;
  f[13] = 0x06;
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, uint8_t(op)};
  std::memcpy(&f[14], hdr, 8);
  put_mac(f, 22, src_mac);
  ::inet_pton(AF_INET, src_ip, &f[28]);
  put_mac(f, 32, op == 1 ? 0 : dst_mac);
  ::inet_pton(AF_INET, dst_ip, &f[38]);
  return f;
}

uint16_t csum(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t((p[i] << 8) | p[i + 1]);
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

// Ethernet + IPv4 header (no options) for `l4_len` bytes of protocol `proto`.
Bytes ipv4_frame(Mac dst, Mac src, const char* sip, const char* dip, uint8_t proto, size_t l4_len) {
  Bytes f(34 + l4_len, 0);
  put_mac(f, 0, dst);
  put_mac(f, 6, src);
  f[12] = 0x08;
  f[14] = 0x45;
  f[16] = uint8_t((20 + l4_len) >> 8);
  f[17] = uint8_t(20 + l4_len);
  f[22] = 64;
  f[23] = proto;
  ::inet_pton(AF_INET, sip, &f[26]);
  ::inet_pton(AF_INET, dip, &f[30]);
  const uint16_t c = uint16_t(~csum(&f[14], 20));
  f[24] = uint8_t(c >> 8);
  f[25] = uint8_t(c);
  return f;
}

bool l4_ok(const uint8_t* f, size_t len) {
  const size_t l4 = 14 + size_t(f[14] & 0x0f) * 4;
  uint32_t acc = csum(f + 26, 8) + f[23] + uint32_t(len - l4);
  return csum(f + l4, len - l4, acc) == 0xffff;
}

// Reads frames from any of the tap's queues until `want` accepts one or
// the deadline passes. The vnet header, if on, is stripped into *hdr.
bool read_until(Tap& tap, const std::function<bool(const uint8_t*, size_t)>& want, Bytes* got,
                VnetHdr* hdr = nullptr, int ms = 3000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  std::vector<uint8_t> buf(70000);
  while (Clock::now() < deadline) {
    std::vector<pollfd> pf;
    for (unsigned q = 0; q < tap.queues(); ++q) pf.push_back(pollfd{tap.fd(q), POLLIN, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(pf.data(), pf.size(), int(std::max<int64_t>(1, left.count()))) <= 0) continue;
    for (unsigned q = 0; q < tap.queues(); ++q) {
      FrameSlot slot{buf.data(), uint32_t(buf.size()), 0};
      int err = 0;
      for (int i = 0; i < 64 && tap.read_burst(q, {&slot, 1}, &err) == 1; ++i) {
        const size_t h = tap.vnet_hdr_len();
        if (slot.len < h + 14) continue;
        if (want(slot.data + h, slot.len - h)) {
          got->assign(slot.data + h, slot.data + slot.len);
          if (hdr) parse_vnet_hdr(slot.data, h, hdr);
          return true;
        }
      }
    }
  }
  return false;
}

bool write_frame(Tap& tap, unsigned q, const Bytes& frame, const VnetHdr* hdr = nullptr) {
  Bytes b(tap.vnet_hdr_len(), 0);
  if (hdr && tap.vnet_hdr_len()) build_vnet_hdr(*hdr, b.data());
  b.insert(b.end(), frame.begin(), frame.end());
  FrameView v{b.data(), uint32_t(b.size())};
  int err = 0;
  return tap.write_burst(q, {&v, 1}, &err) == 1 && err == 0;
}

bool is_arp(const uint8_t* f, size_t n, uint16_t op, const char* target_ip) {
  uint8_t ip[4];
  ::inet_pton(AF_INET, target_ip, ip);
  return n >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == op && std::memcmp(f + 38, ip, 4) == 0;
}

class PortTap : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!enter_namespace().empty()) GTEST_SKIP() << enter_namespace();
    std::string err;
    nl = Netlink::open(&err);
    ASSERT_TRUE(nl) << err;
  }

  // A tap for network `nwid` named as stock names it, with member a's MAC,
  // MTU 2800, up, and `cidr` on it.
  std::optional<Tap> make(uint64_t nwid, const char* cidr, TapOptions o = {}) {
    o.name = choose_tap_name(nwid, {}, device_exists);
    std::string err;
    auto tap = Tap::open(o, &err);
    EXPECT_TRUE(tap) << err;
    if (!tap) return std::nullopt;
    EXPECT_EQ(nl->link_index(tap->name(), &ifindex), 0);
    LinkChange c;
    c.mac = member_mac(kMember, nwid);
    c.mtu = 2800;
    c.txqlen = 10000;
    c.up = true;
    EXPECT_EQ(nl->link_set(ifindex, c), 0);
    if (cidr) EXPECT_EQ(nl->address_add(ifindex, A(cidr)), 0);
    return tap;
  }

  std::unique_ptr<Netlink> nl;
  int ifindex = 0;
};

TEST_F(PortTap, NamedAndConfiguredAsStock) {
  auto tap = make(kNwid, nullptr);
  ASSERT_TRUE(tap);
  EXPECT_EQ(tap->name(), "zt4kma6dg3");
  LinkInfo li;
  ASSERT_EQ(nl->link_get(ifindex, &li), 0);
  EXPECT_EQ(li.name, "zt4kma6dg3");
  EXPECT_EQ(mac_string(li.mac), "02:ee:42:d5:00:d5");  // listnetworks-a.json
  EXPECT_EQ(li.mtu, 2800u);
  EXPECT_EQ(li.txqlen, 10000u);
  EXPECT_TRUE(li.up);
  // A second network whose name would collide gets the next name.
  EXPECT_EQ(choose_tap_name(kNwid, {}, device_exists), "zt4kma6dg4");
  if (have_ip()) {
    const auto j = nlohmann::json::parse(run("ip -j link show dev zt4kma6dg3"));
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["address"], "02:ee:42:d5:00:d5");
    EXPECT_EQ(j[0]["mtu"], 2800);
    const auto& flags = j[0]["flags"];
    EXPECT_NE(std::find(flags.begin(), flags.end(), "UP"), flags.end());
  }
  // Bridge mode: enslaved to a Linux bridge (made here by iproute2, the
  // test's setup) and released again.
  if (have_ip()) {
    run("ip link add flportbr0 type bridge");
    int br = 0;
    ASSERT_EQ(nl->link_index("flportbr0", &br), 0);
    LinkChange m;
    m.master = br;
    ASSERT_EQ(nl->link_set(ifindex, m), 0);
    ASSERT_EQ(nl->link_get(ifindex, &li), 0);
    EXPECT_EQ(li.master, br);
    m.master = 0;
    ASSERT_EQ(nl->link_set(ifindex, m), 0);
    ASSERT_EQ(nl->link_get(ifindex, &li), 0);
    EXPECT_EQ(li.master, 0);
    run("ip link del flportbr0");
  }
  LinkChange down;
  down.up = false;
  ASSERT_EQ(nl->link_set(ifindex, down), 0);
  ASSERT_EQ(nl->link_get(ifindex, &li), 0);
  EXPECT_FALSE(li.up);
  EXPECT_EQ(nl->link_set(ifindex + 1000, down), -ENODEV);
}

// Leave and re-join at once while the old device is still going away (a
// second reference to its file, as a queue thread still in a read would
// hold): the re-joined tap gets the same name, once the old one is gone.
TEST_F(PortTap, RejoinRightAfterLeaveKeepsTheName) {
  constexpr uint64_t nwid = 0x6a0f1e2d3c000001ULL;
  std::string name;
  int held = -1;
  {
    auto tap = make(nwid, nullptr);
    ASSERT_TRUE(tap);
    name = tap->name();
    EXPECT_EQ(name, tap_name(nwid));
    held = ::dup(tap->fd(0));
    ASSERT_GE(held, 0);
  }  // "leave": our Tap is closed, the device lives on through `held`
  ASSERT_TRUE(device_exists(name));
  EXPECT_EQ(choose_tap_name(nwid, {}, device_exists), tap_name(nwid, 1)) << "stock's rule alone";
  const DepartingTaps departing{name};
  ASSERT_EQ(choose_tap_name(nwid, {}, device_exists, departing), name);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::close(held);
  });
  const bool gone = wait_device_gone(name, std::chrono::seconds(5), device_exists);
  release.join();
  ASSERT_TRUE(gone);
  TapOptions o;
  o.name = name;
  std::string err;
  auto again = Tap::open(o, &err);
  ASSERT_TRUE(again) << err;
  EXPECT_EQ(again->name(), name);
}

TEST_F(PortTap, ManagedAddressesAndRoutesSynced) {
  auto tap = make(0x8056c2e21c000001ULL, nullptr);
  ASSERT_TRUE(tap);
  ManagedSettings s;
  s.allow_default = true;
  const auto v6 = rfc4193_address(0x8056c2e21c000001ULL, kMember);
  std::vector<wire::InetAddress> assigned = {A("10.77.0.1/24"), v6, A("8.8.8.8/32")};
  std::vector<ConfigRoute> routes = {{A("10.77.0.0/24"), {}},
                                     {A("10.78.0.0/16"), A("10.77.0.254")},
                                     {A("10.79.0.0/16"), {}},
                                     {A("0.0.0.0/0"), A("10.77.0.254")}};
  DesiredState applied;
  DesiredState want = desired_state(s, assigned, routes, {}, true);
  SyncResult r = sync_link(*nl, ifindex, want, &applied);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.added, 2u + 4u);  // two addresses; 10.78/16, 10.79/16, two default halves

  std::vector<wire::InetAddress> addrs;
  ASSERT_EQ(nl->address_dump(ifindex, &addrs), 0);
  auto has_addr = [&](const char* a) {
    return std::find(addrs.begin(), addrs.end(), A(a)) != addrs.end();
  };
  EXPECT_TRUE(has_addr("10.77.0.1/24"));
  EXPECT_TRUE(std::find(addrs.begin(), addrs.end(), v6) != addrs.end());
  EXPECT_FALSE(has_addr("8.8.8.8/32")) << "global address without allowGlobal";
  std::vector<Route> rts;
  ASSERT_EQ(nl->route_dump(ifindex, &rts), 0);
  auto has_route = [&](const char* t, const char* via, uint32_t metric) {
    Route want_r{A(t), via ? A(via) : wire::InetAddress{}, metric};
    return std::any_of(rts.begin(), rts.end(), [&](const Route& x) { return x.same_as(want_r); });
  };
  EXPECT_TRUE(has_route("10.78.0.0/16", "10.77.0.254", 5000));
  EXPECT_TRUE(has_route("10.79.0.0/16", nullptr, 0));
  EXPECT_TRUE(has_route("0.0.0.0/1", "10.77.0.254", 5000));
  EXPECT_TRUE(has_route("128.0.0.0/1", "10.77.0.254", 5000));
  EXPECT_TRUE(has_route("10.77.0.0/24", nullptr, 0)) << "the kernel's prefix route";

  const std::string dev = tap->name();
  if (have_ip()) {
    // Independent reader: iproute2's view of the same link.
    const auto ja = nlohmann::json::parse(run("ip -j addr show dev " + dev));
    std::vector<std::string> seen;
    for (const auto& ai : ja[0]["addr_info"]) {
      seen.push_back(ai["local"].get<std::string>() + "/" + std::to_string(ai["prefixlen"].get<int>()));
      if (ai["local"] == "10.77.0.1") EXPECT_EQ(ai.value("broadcast", ""), "10.77.0.255");
    }
    EXPECT_NE(std::find(seen.begin(), seen.end(), "10.77.0.1/24"), seen.end());
    EXPECT_NE(std::find(seen.begin(), seen.end(), "fd80:56c2:e21c:0:199:93ee:420f:cda/88"), seen.end());
    const auto jr = nlohmann::json::parse(run("ip -j -4 route show dev " + dev));
    std::vector<std::string> dsts;
    for (const auto& e : jr) {
      std::string d = e["dst"].get<std::string>();
      if (e.contains("gateway")) d += " via " + e["gateway"].get<std::string>();
      if (e.contains("metric")) d += " metric " + std::to_string(e["metric"].get<int>());
      dsts.push_back(d);
    }
    for (const char* x : {"0.0.0.0/1 via 10.77.0.254 metric 5000", "128.0.0.0/1 via 10.77.0.254 metric 5000",
                          "10.78.0.0/16 via 10.77.0.254 metric 5000", "10.79.0.0/16", "10.77.0.0/24"})
      EXPECT_NE(std::find(dsts.begin(), dsts.end(), x), dsts.end()) << x;
  }

  // allowDefault turned off and one route gone: only those leave; an
  // address an administrator added stays.
  ASSERT_EQ(nl->address_add(ifindex, A("192.168.99.1/24")), 0);
  s.allow_default = false;
  routes.pop_back();
  routes.erase(routes.begin() + 2);
  want = desired_state(s, assigned, routes, {}, true);
  r = sync_link(*nl, ifindex, want, &applied);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.removed, 3u);
  EXPECT_EQ(r.added, 0u);
  ASSERT_EQ(nl->route_dump(ifindex, &rts), 0);
  EXPECT_TRUE(has_route("10.78.0.0/16", "10.77.0.254", 5000));
  EXPECT_FALSE(has_route("10.79.0.0/16", nullptr, 0));
  EXPECT_FALSE(has_route("0.0.0.0/1", "10.77.0.254", 5000));
  EXPECT_FALSE(has_route("128.0.0.0/1", "10.77.0.254", 5000));

  // Leaving managed mode: everything of ours goes, the rest stays.
  s.allow_managed = false;
  r = sync_link(*nl, ifindex, desired_state(s, assigned, routes, {}, true), &applied);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(nl->address_dump(ifindex, &addrs), 0);
  EXPECT_FALSE(has_addr("10.77.0.1/24"));
  EXPECT_TRUE(has_addr("192.168.99.1/24"));
  ASSERT_EQ(nl->route_dump(ifindex, &rts), 0);
  EXPECT_FALSE(has_route("10.78.0.0/16", "10.77.0.254", 5000));
  // A second sync with nothing to do changes nothing.
  r = sync_link(*nl, ifindex, applied, &applied);
  EXPECT_EQ(r.added + r.removed, 0u);
}

TEST_F(PortTap, FramesBothWaysAndSubscriptions) {
  auto tap = make(0x1111111111000001ULL, "10.77.1.1/24");
  ASSERT_TRUE(tap);
  const Mac mine = member_mac(kMember, 0x1111111111000001ULL);
  // In: an ARP request for our address; out: the kernel's reply.
  ASSERT_TRUE(write_frame(*tap, 0, arp_frame(1, kPeerMac, "10.77.1.2", 0, "10.77.1.1")));
  Bytes got;
  ASSERT_TRUE(read_until(*tap, [](const uint8_t* f, size_t n) { return is_arp(f, n, 2, "10.77.1.2"); }, &got));
  EXPECT_EQ(mac_from_bytes(got.data()), kPeerMac);
  EXPECT_EQ(mac_from_bytes(got.data() + 22), mine);

  // In: an ICMP echo request (the kernel learned our MAC from the ARP);
  // out: the echo reply.
  Bytes echo = ipv4_frame(mine, kPeerMac, "10.77.1.2", "10.77.1.1", 1, 8 + 16);
  echo[34] = 8;  // echo request
  echo[38] = 0x12;
  echo[39] = 0x34;
  const uint16_t c = uint16_t(~csum(&echo[34], 24));
  echo[36] = uint8_t(c >> 8);
  echo[37] = uint8_t(c);
  ASSERT_TRUE(write_frame(*tap, 0, echo));
  ASSERT_TRUE(read_until(*tap, [](const uint8_t* f, size_t n) {
    return n >= 42 && f[12] == 0x08 && f[13] == 0 && f[23] == 1 && f[34] == 0;
  }, &got));
  EXPECT_EQ(got[38], 0x12);
  EXPECT_EQ(got[39], 0x34);

  // Out: the kernel's own ARP request, for a neighbour it does not know.
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  ::inet_pton(AF_INET, "10.77.1.3", &to.sin_addr);
  EXPECT_EQ(::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1);
  ::close(s);
  ASSERT_TRUE(read_until(*tap, [](const uint8_t* f, size_t n) { return is_arp(f, n, 1, "10.77.1.3"); }, &got));
  EXPECT_EQ(mac_from_bytes(got.data()), 0xffffffffffffULL);

  // Bursts: eight ARP requests in one write_burst, the eight replies
  // collected with read_burst.
  std::vector<Bytes> reqs;
  std::vector<FrameView> views;
  for (int i = 0; i < 8; ++i) {
    const std::string ip = "10.77.1." + std::to_string(10 + i);
    reqs.push_back(arp_frame(1, kPeerMac + 16 + i, ip.c_str(), 0, "10.77.1.1"));
  }
  for (const auto& r : reqs) views.push_back(FrameView{r.data(), uint32_t(r.size())});
  int werr = 0;
  ASSERT_EQ(tap->write_burst(0, views, &werr), 8u);
  EXPECT_EQ(werr, 0);
  std::vector<Bytes> bufs(16, Bytes(3000));
  unsigned replies = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (replies < 8 && Clock::now() < deadline) {
    pollfd pf{tap->fd(0), POLLIN, 0};
    if (::poll(&pf, 1, 100) <= 0) continue;
    std::vector<FrameSlot> slots;
    for (auto& b : bufs) slots.push_back(FrameSlot{b.data(), uint32_t(b.size()), 0});
    int rerr = 0;
    const size_t n = tap->read_burst(0, slots, &rerr);
    EXPECT_EQ(rerr, 0);
    for (size_t i = 0; i < n; ++i)
      replies += slots[i].len >= 42 && slots[i].data[12] == 0x08 && slots[i].data[13] == 0x06 &&
                 slots[i].data[21] == 2;
  }
  EXPECT_EQ(replies, 8u);

  // Subscriptions: what the kernel joined, plus the ARP group of our IPv4.
  const auto text = read_dev_mcast();
  ASSERT_TRUE(text.has_value());
  const auto joined = parse_dev_mcast(*text, tap->name());
  EXPECT_NE(std::find(joined.begin(), joined.end(), MulticastGroup{0x01005e000001ULL, 0}), joined.end())
      << *text;
  std::vector<wire::InetAddress> addrs;
  ASSERT_EQ(nl->address_dump(ifindex, &addrs), 0);
  const auto groups = interface_groups(joined, addrs);
  EXPECT_TRUE(std::binary_search(groups.begin(), groups.end(),
                                 MulticastGroup{0xffffffffffffULL, 0x0a4d0101}, group_less));
}

TEST_F(PortTap, TwoQueues) {
  TapOptions o;
  o.queues = 2;
  auto tap = make(0x2222222222000001ULL, "10.77.2.1/24", o);
  ASSERT_TRUE(tap);
  ASSERT_EQ(tap->queues(), 2u);
  for (unsigned q = 0; q < 2; ++q) {
    ifreq ifr{};
    ASSERT_EQ(::ioctl(tap->fd(q), TUNGETIFF, &ifr), 0);
    EXPECT_TRUE(ifr.ifr_flags & IFF_MULTI_QUEUE);
    EXPECT_EQ(tap->name(), ifr.ifr_name);
    EXPECT_TRUE(::fcntl(tap->fd(q), F_GETFL) & O_NONBLOCK);
  }
  // Frames in through either queue reach the kernel; answers come out on
  // whichever queue the kernel picks.
  Bytes got;
  ASSERT_TRUE(write_frame(*tap, 1, arp_frame(1, kPeerMac, "10.77.2.2", 0, "10.77.2.1")));
  ASSERT_TRUE(read_until(*tap, [](const uint8_t* f, size_t n) { return is_arp(f, n, 2, "10.77.2.2"); }, &got));
  ASSERT_TRUE(write_frame(*tap, 0, arp_frame(1, kPeerMac + 1, "10.77.2.3", 0, "10.77.2.1")));
  ASSERT_TRUE(read_until(*tap, [](const uint8_t* f, size_t n) { return is_arp(f, n, 2, "10.77.2.3"); }, &got));
  // Out: two UDP flows from the namespace; the kernel keeps each on one
  // queue (the property the member relies on to never reorder a flow).
  // The ARP requests above taught the kernel the peer's MAC.
  std::map<uint16_t, std::set<unsigned>> queues_of;
  std::map<uint16_t, unsigned> count;
  for (uint16_t port : {41000, 41001}) {
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    sockaddr_in me{};
    me.sin_family = AF_INET;
    me.sin_port = htons(port);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&me), sizeof me), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    ::inet_pton(AF_INET, "10.77.2.2", &to.sin_addr);
    for (int i = 0; i < 10; ++i)
      EXPECT_EQ(::sendto(s, "flow", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 4);
    ::close(s);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  Bytes buf(3000);
  while (count[41000] + count[41001] < 20 && Clock::now() < deadline) {
    pollfd pf[2] = {{tap->fd(0), POLLIN, 0}, {tap->fd(1), POLLIN, 0}};
    if (::poll(pf, 2, 100) <= 0) continue;
    for (unsigned q = 0; q < 2; ++q) {
      FrameSlot slot{buf.data(), uint32_t(buf.size()), 0};
      int err = 0;
      while (tap->read_burst(q, {&slot, 1}, &err) == 1) {
        const uint8_t* f = slot.data;
        if (slot.len < 42 || f[12] != 0x08 || f[13] != 0 || f[23] != 17) continue;
        const uint16_t sport = uint16_t((f[34] << 8) | f[35]);
        queues_of[sport].insert(q);
        ++count[sport];
      }
    }
  }
  EXPECT_EQ(count[41000], 10u);
  EXPECT_EQ(count[41001], 10u);
  EXPECT_EQ(queues_of[41000].size(), 1u);
  EXPECT_EQ(queues_of[41001].size(), 1u);
  // Our side: flow_queue gives both directions of a flow the same queue.
  const Bytes there = ipv4_frame(kPeerMac, 1, "10.77.2.1", "10.77.2.2", 17, 8);
  const Bytes back = ipv4_frame(1, kPeerMac, "10.77.2.2", "10.77.2.1", 17, 8);
  EXPECT_EQ(flow_queue(there.data(), there.size(), 2), flow_queue(back.data(), back.size(), 2));

  // Bad arguments are refused, not crashed on.
  FrameSlot slot{got.data(), uint32_t(got.size()), 0};
  int err = 0;
  EXPECT_EQ(tap->read_burst(7, {&slot, 1}, &err), 0u);
  EXPECT_EQ(err, -EINVAL);
}

TEST_F(PortTap, VnetHeaderAndTso) {
  TapOptions o;
  o.vnet_hdr = true;
  o.offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  auto tap = make(0x3333333333000001ULL, "10.77.3.1/24", o);
  ASSERT_TRUE(tap);
  ASSERT_EQ(tap->vnet_hdr_len(), kVnetHdrLen);
  const Mac mine = member_mac(kMember, 0x3333333333000001ULL);

  // A TCP connection from the namespace to a "remote" host on the tap; the
  // test plays the remote end.
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(5001);
  ::inet_pton(AF_INET, "10.77.3.2", &to.sin_addr);
  ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to), -1);
  ASSERT_EQ(errno, EINPROGRESS);

  Bytes got;
  VnetHdr h;
  ASSERT_TRUE(read_until(*tap, [](const uint8_t* f, size_t n) { return is_arp(f, n, 1, "10.77.3.2"); }, &got, &h));
  EXPECT_EQ(h.gso_type, kGsoNone);
  ASSERT_TRUE(write_frame(*tap, 0, arp_frame(2, kPeerMac, "10.77.3.2", mine, "10.77.3.1")));

  auto is_tcp = [](const uint8_t* f, size_t n) { return n >= 54 && f[12] == 0x08 && f[23] == 6; };
  ASSERT_TRUE(read_until(*tap, is_tcp, &got, &h));
  ASSERT_EQ(got[47] & 0x12, 0x02) << "a SYN";
  // The kernel may leave the checksum to us (TUN_F_CSUM): finish it, then
  // check it independently.
  ASSERT_TRUE(complete_checksum(h, got.data(), got.size()));
  EXPECT_TRUE(l4_ok(got.data(), got.size()));
  const uint32_t isn = (uint32_t(got[38]) << 24) | (got[39] << 16) | (got[40] << 8) | got[41];

  // SYN-ACK with MSS 1400 and a 64 KiB window.
  Bytes sa = ipv4_frame(mine, kPeerMac, "10.77.3.2", "10.77.3.1", 6, 24);
  const uint8_t tcp[24] = {0x13, 0x89, got[34], got[35], 0, 0, 0x10, 0,
                           uint8_t((isn + 1) >> 24), uint8_t((isn + 1) >> 16), uint8_t((isn + 1) >> 8),
                           uint8_t(isn + 1), 6 << 4, 0x12, 0xff, 0xff, 0, 0, 0, 0, 2, 4, 0x05, 0x78};
  std::memcpy(&sa[34], tcp, sizeof tcp);
  uint16_t c = uint16_t(~csum(&sa[34], 24, csum(&sa[26], 8) + 6u + 24u));
  sa[50] = uint8_t(c >> 8);
  sa[51] = uint8_t(c);
  ASSERT_TRUE(write_frame(*tap, 0, sa));
  pollfd pf{s, POLLOUT, 0};
  ASSERT_EQ(::poll(&pf, 1, 3000), 1);
  int so_error = -1;
  socklen_t sl = sizeof so_error;
  ASSERT_EQ(::getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &sl), 0);
  ASSERT_EQ(so_error, 0);

  // 20 KB in one write: with TSO granted the kernel hands it over as
  // super-frames; split one and check every segment.
  std::vector<uint8_t> data(20000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13);
  ASSERT_GT(::send(s, data.data(), data.size(), 0), 0);
  ASSERT_TRUE(read_until(*tap, [&](const uint8_t* f, size_t n) { return is_tcp(f, n) && n > 1500; }, &got, &h))
      << "no TSO super-frame";
  EXPECT_EQ(h.gso_type & ~kGsoEcn, kGsoTcpV4);
  EXPECT_EQ(h.gso_size, 1400);
  std::vector<std::vector<uint8_t>> bufs(64, std::vector<uint8_t>(1600));
  std::vector<FrameSlot> slots;
  for (auto& b : bufs) slots.push_back(FrameSlot{b.data(), uint32_t(b.size()), 0});
  GsoError gerr;
  const size_t n = gso_split(h, got.data(), got.size(), slots, &gerr);
  ASSERT_EQ(gerr, GsoError::kNone) << to_string(gerr);
  ASSERT_GE(n, 2u);
  size_t payload = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* f = slots[i].data;
    EXPECT_LE(slots[i].len, 14u + 20 + 20 + 1400 + 40);
    EXPECT_EQ(csum(f + 14, 20), 0xffff);
    EXPECT_TRUE(l4_ok(f, slots[i].len)) << "segment " << i;
    const size_t hl = 14 + 20 + size_t(f[46] >> 4) * 4;
    EXPECT_EQ(std::memcmp(f + hl, data.data() + payload, slots[i].len - hl), 0);
    payload += slots[i].len - hl;
  }
  ::close(s);
}

TEST_F(PortTap, CloseRemovesTheDevice) {
  auto tap = make(0x4444444444000001ULL, nullptr);
  ASSERT_TRUE(tap);
  const std::string name = tap->name();
  EXPECT_TRUE(device_exists(name));
  tap->close();
  // The kernel unregisters the device as the last fd closes.
  int idx = 0;
  EXPECT_EQ(nl->link_index(name, &idx), -ENODEV);
  EXPECT_FALSE(device_exists(name));
  // Opening with a bad name or no queues fails with a reason.
  std::string err;
  TapOptions bad;
  bad.name = "way-too-long-name";
  EXPECT_FALSE(Tap::open(bad, &err));
  EXPECT_NE(err.find("not a valid interface name"), std::string::npos);
  bad.name = "zttest";
  bad.queues = 0;
  EXPECT_FALSE(Tap::open(bad, &err));
  // A device of the name exists: refused, not attached to.
  TapOptions lo;
  lo.name = "lo";
  EXPECT_FALSE(Tap::open(lo, &err));
  EXPECT_NE(err.find("exists"), std::string::npos) << err;
}

}  // namespace
}  // namespace flatnet::control::port
