// Test harness for the control core: identities, a signed test planet, and
// a fake network that carries datagrams between in-memory cores.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/core/core.hpp"
#include "crypto/armor.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::control::test {

// Spec Appendix B.1 identities (valid, with secrets): cheap leaves.
inline constexpr const char* kIdentityA =
    "36885e5e08:0:9832f96f77a2cb3d30ae891617cb090fdc90842e2ec9914442d30b46b591ad673a4ac1d165f80a8"
    "9f766a738f97ae523e835388859ba6945c245b68d9333c786:fa0be535a0a439df32ea9e0b5e8bfcf4307f2578f3"
    "d4320e5500050b5f3155b832795308a658958a397ea12fae16059b81d59ec20c96c015a682d932cce335c6";
inline constexpr const char* kIdentityB =
    "f07ab477c4:0:4d1fc2783c19695dda2dee4b2f449b46cf9a28db40fcdff195cf449126df76066cf78f0ac8beb24"
    "3c0d31e2de607cf210fe5a6f2b5801f798245c81639a85cd2:10eb3159b0cee643d481a4fae8713ca7e393fb4a2e"
    "c78168bae7e463e9b4a40fb1dc4f2f74e1749cd6aced86437e6d6a308eb8e560daf0ede80b18ee2f2760f2";

inline crypto::Identity parse_identity(std::string_view text) {
  auto id = crypto::Identity::from_string(text);
  if (!id) throw std::runtime_error("bad test identity");
  return *id;
}

// Generating an identity costs ~15 memory-hard hashes; share one root.
inline const crypto::Identity& root_identity() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}

// An identity with a random key pair and an arbitrary address: what a
// flooder sends. It has a private key (so its HELLO MACs verify) but fails
// the memory-hard check.
inline crypto::Identity bogus_identity(uint64_t address) {
  crypto::PublicKey pub;
  crypto::PrivateKey priv;
  crypto::c25519_generate(pub, priv);
  static const char* hx = "0123456789abcdef";
  std::string s;
  for (int i = 9; i >= 0; --i) s += hx[(address >> (4 * i)) & 15];
  s += ":0:";
  for (uint8_t b : pub) s += {hx[b >> 4], hx[b & 15]};
  s += ":";
  for (size_t i = 0; i < priv.size(); ++i) s += {hx[priv[i] >> 4], hx[priv[i] & 15]};
  return parse_identity(s);
}

inline wire::InetAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port = 9993) {
  const uint8_t ip[4] = {a, b, c, d};
  return wire::InetAddress::v4(ip, port);
}

inline PhysicalPath path_from(const wire::InetAddress& a) { return PhysicalPath{0, a}; }

// A planet with one root at `endpoint`, signed with a fresh key.
inline wire::World make_planet(const crypto::Identity& root, const wire::InetAddress& endpoint,
                               uint64_t timestamp = 1000) {
  wire::World w;
  w.type = wire::WorldType::kPlanet;
  w.id = 42424242;
  w.timestamp = timestamp;
  crypto::PrivateKey priv;
  crypto::c25519_generate(w.updates_must_be_signed_by, priv);
  wire::WorldRoot r;
  r.identity = root;
  r.endpoints.push_back(endpoint);
  w.roots.push_back(r);
  wire::world_sign(w, w.updates_must_be_signed_by, priv);
  return w;
}

// A world signing key pair (what a .c25519 file holds).
struct WorldKey {
  crypto::PublicKey pub;
  crypto::PrivateKey priv;
};
inline WorldKey world_key() {
  WorldKey k;
  crypto::c25519_generate(k.pub, k.priv);
  return k;
}

// A world of `type` whose roots each have one stable endpoint, naming
// `next` as the key of its next revision and signed with `sign` (for a
// first revision stock tools use next == sign).
inline wire::World make_world(wire::WorldType type, uint64_t id, uint64_t timestamp,
                              const std::vector<std::pair<crypto::Identity, wire::InetAddress>>& roots,
                              const WorldKey& sign, const WorldKey& next) {
  wire::World w;
  w.type = type;
  w.id = id;
  w.timestamp = timestamp;
  w.updates_must_be_signed_by = next.pub;
  for (const auto& [id_, at] : roots) {
    wire::WorldRoot r;
    r.identity = crypto::Identity::from_string(id_.to_string(false)).value();
    r.endpoints.push_back(at);
    w.roots.push_back(r);
  }
  wire::world_sign(w, sign.pub, sign.priv);
  return w;
}

// Key between two identities (one with a private key).
inline std::unique_ptr<crypto::PeerKeys> keys_between(const crypto::Identity& mine,
                                                      const crypto::Identity& theirs) {
  crypto::SharedKey k;
  if (!mine.agree(theirs, k)) throw std::runtime_error("agree failed");
  return std::make_unique<crypto::PeerKeys>(k);
}

// A packet `from` -> `to` sealed with their shared key, as a peer would
// send it (one datagram; the payload must fit).
inline std::vector<uint8_t> build_packet(const crypto::Identity& from, const crypto::Identity& to,
                                         wire::Verb verb, std::span<const uint8_t> payload,
                                         crypto::Suite suite, uint8_t verb_flags = 0) {
  auto keys = keys_between(from, to);
  PacketBuilder b(to.address(), from.address(), verb, random_packet_id());
  b.bytes()[wire::kIdxVerb] |= verb_flags;
  b.payload().bytes(payload);
  auto d = b.seal(*keys, suite, wire::kMaxPacketLength);
  if (d.size() != 1) throw std::runtime_error("build_packet: does not fit");
  return d[0];
}

// A HELLO `from` -> `to` with the given timestamp and planet fields.
inline std::vector<uint8_t> build_hello(const crypto::Identity& from, const crypto::Identity& to,
                                        uint64_t timestamp, const wire::InetAddress& dest,
                                        uint64_t planet_id = 0, uint64_t planet_ts = 0,
                                        std::vector<HelloMoon> moons = {}) {
  Hello h;
  h.version = Version{12, 1, 14, 1};
  h.timestamp = timestamp;
  h.identity = from;
  h.destination = dest;
  h.has_planet = planet_id != 0;
  h.planet_id = planet_id;
  h.planet_timestamp = planet_ts;
  h.moons = std::move(moons);
  auto keys = keys_between(from, to);
  PacketBuilder b(to.address(), from.address(), wire::Verb::kHello, random_packet_id());
  size_t tail = 0;
  encode_hello(h, b.payload(), &tail);
  if (tail) crypto::hello_crypt_field(keys->key48(), b.bytes(), wire::kIdxPayload + tail);
  return b.seal(*keys, crypto::Suite::kPoly1305).at(0);
}

// Opens a packet addressed to `me` from `peer`; empty on failure.
inline std::vector<uint8_t> open_from(const crypto::Identity& me, const crypto::Identity& peer,
                                      std::vector<uint8_t> packet) {
  auto keys = keys_between(me, peer);
  if (open_packet(packet, *keys) != OpenStatus::kOk) return {};
  return packet;
}

// One node on the fake network.
struct Node {
  wire::InetAddress at;
  std::unique_ptr<Core> core;
};

// Carries datagrams between cores by their physical address. Deliveries are
// bounded so a bug that ping-pongs forever fails instead of hanging.
class FakeNet {
 public:
  Node& add(const std::string& name, Config cfg, const wire::InetAddress& at, uint64_t now) {
    Node& n = nodes_[name];
    n.at = at;
    n.core = std::make_unique<Core>(std::move(cfg), now);
    return n;
  }
  Node& operator[](const std::string& name) { return nodes_.at(name); }

  // Delivers `out.send` from `sender`, and whatever the receivers send in
  // turn, until quiet. Returns the number of datagrams delivered.
  size_t pump(const std::string& sender, Actions& out, uint64_t now, size_t max = 1000) {
    const size_t n = pump_from(nodes_.at(sender).at, out.send, now, max);
    out.send.clear();
    return n;
  }
  // The same from an address that is no node of ours (a process under
  // test); what is sent to addresses without a node lands in `outside`.
  size_t pump_from(const wire::InetAddress& from, const std::vector<SendDatagram>& sends,
                   uint64_t now, size_t max = 1000) {
    std::vector<Item> q;
    for (auto& d : sends) q.push_back({from, d});
    size_t delivered = 0;
    while (!q.empty() && delivered < max) {
      Item it = std::move(q.front());
      q.erase(q.begin());
      bool found = false;
      for (auto& [name, n] : nodes_) {
        if (!(n.at == it.d.path.remote)) continue;
        found = true;
        ++delivered;
        log.push_back({it.from, n.at, it.d.bytes});
        if (relays.count(name) && relay(n, it.d.bytes, q)) continue;
        Actions a;
        n.core->receive(PhysicalPath{0, it.from}, it.d.bytes, now, a);
        for (auto& t : a.table) table[name].push_back(t);
        for (auto& w : a.worlds_learned) worlds[name].push_back(w);
        for (auto& d : a.send) q.push_back({n.at, d});
      }
      if (!found) outside.push_back({it.from, it.d.path.remote, it.d.bytes});
    }
    EXPECT_LT(delivered, max) << "fake network did not settle";
    return delivered;
  }

  struct Seen {
    wire::InetAddress from, to;
    std::vector<uint8_t> bytes;
  };
  std::vector<Seen> log;
  std::map<std::string, std::vector<TableCommand>> table;
  std::map<std::string, std::vector<wire::World>> worlds;  // Actions::worlds_learned
  std::vector<Seen> outside;  // sent to an address where no node is
  // Nodes that relay packets addressed to another node's core (what a
  // root's data plane does): forwarded with hops + 1, seen as coming from
  // the relay.
  std::set<std::string> relays;
  // Node addresses outside this network (a process under test) a relay
  // can forward to: address -> where it listens.
  std::map<uint64_t, wire::InetAddress> externals;

 private:
  struct Item {
    wire::InetAddress from;
    SendDatagram d;
  };
  template <typename Queue>
  bool relay(const Node& via, const std::vector<uint8_t>& bytes, Queue& q) {
    // Heads and fragments alike, as a root's data plane relays them: a
    // packet over one datagram is lost otherwise.
    const auto kind = wire::classify(bytes.data(), bytes.size());
    if (kind != wire::DatagramKind::kPacket && kind != wire::DatagramKind::kFragment) return false;
    const bool fragment = kind == wire::DatagramKind::kFragment;
    const uint64_t dest =
        fragment ? wire::fragment_dest(bytes.data()) : wire::packet_dest(bytes.data());
    const unsigned hops =
        fragment ? wire::fragment_hops(bytes.data()) : wire::packet_hops(bytes.data());
    if (dest == via.core->address() || hops >= wire::kRelayMaxHops) return false;
    wire::InetAddress to;
    for (auto& [name, n] : nodes_)
      if (n.core->address() == dest) to = n.at;
    if (auto e = externals.find(dest); to.is_null() && e != externals.end()) to = e->second;
    if (to.is_null()) return false;
    std::vector<uint8_t> fwd = bytes;
    if (fragment)
      wire::fragment_increment_hops(fwd.data());
    else
      wire::packet_increment_hops(fwd.data());
    q.push_back({via.at, SendDatagram{PhysicalPath{0, to}, std::move(fwd), 0}});
    return true;
  }
  std::map<std::string, Node> nodes_;
};

// A root and two leaves (A, B) on one fake network, all in one planet. The
// root's limits can be set; the leaves use the defaults.
struct Testnet {
  FakeNet net;
  crypto::Identity root = root_identity();
  crypto::Identity a = parse_identity(kIdentityA);
  crypto::Identity b = parse_identity(kIdentityB);
  wire::InetAddress root_at = v4(10, 99, 0, 1), a_at = v4(10, 99, 0, 11), b_at = v4(10, 99, 0, 12);
  wire::World planet = make_planet(root, root_at);
  uint64_t now = 1000000;

  explicit Testnet(Limits root_limits = {}) {
    Config c;
    c.identity = root;
    c.planet = planet;
    c.limits = root_limits;
    net.add("root", c, root_at, now);
    c.limits = Limits{};
    c.identity = a;
    net.add("a", c, a_at, now);
    c.identity = b;
    net.add("b", c, b_at, now);
  }
  Core& core(const std::string& n) { return *net[n].core; }
  // A leaf's HELLO to the root, answered.
  void hello(const std::string& leaf) {
    Actions out;
    ASSERT_TRUE(core(leaf).send_hello(root.address(), path_from(root_at), now, out));
    net.pump(leaf, out, now);
  }
  // A leaf's periodic HELLO upkeep toward its roots, answered.
  void hello_roots(const std::string& leaf) {
    Actions out;
    core(leaf).hello_upstreams(0, now, out);
    net.pump(leaf, out, now);
  }
  void whois(const std::string& leaf, uint64_t address) {
    Actions out;
    ASSERT_TRUE(core(leaf).send_whois(root.address(), address, now, out));
    net.pump(leaf, out, now);
  }
};

// The vectors directory, or "" after GTEST_SKIP / a failure under CI=true.
inline std::string vectors_dir() {
  const char* v = std::getenv("FLATNET_VECTORS");
  std::string dir = v ? v : "";
  if (!dir.empty() && std::filesystem::is_directory(dir)) return dir;
  return "";
}

inline bool ci() {
  const char* c = std::getenv("CI");
  return c && std::string(c) == "true";
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace flatnet::control::test
