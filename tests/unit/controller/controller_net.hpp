// A controller (node B, ConfigService over a SQLite store) and a member
// (node A) on the control harness's fake network, with a member-side
// decoder that checks what the controller sends the way a member would:
// chunks reassembled and verified (ConfigAssembler), the config decoded,
// its COM verified against the controller's identity.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/controller/config_service.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/network_config.hpp"
#include "dataplane/wire/network_credentials.hpp"
#include "tests/unit/control/harness.hpp"
#include "tests/unit/controller/store_fixture.hpp"

namespace flatnet::control::controller::testing {

// What a member receives from its controller.
struct MemberSide : Vl2Handler {
  explicit MemberSide(const crypto::Identity& controller) : controller_id(controller) {}
  struct Err {
    uint8_t code;
    std::vector<uint8_t> detail;
  };
  const crypto::Identity& controller_id;
  std::vector<wire::NetworkConfig> configs;  // complete, verified, decoded
  std::vector<bool> config_was_ok;           // true: OK(NETWORK_CONFIG_REQUEST); false: push
  std::vector<uint64_t> config_in_re;        // the request ID an OK quoted
  std::vector<Err> errors;
  std::vector<wire::Revocation> revocations;
  unsigned bad = 0;
  unsigned pending = 0;  // chunks stored, their update not complete yet

  void packet(const Vl2Packet& pk, uint64_t, Actions&) override {
    if (pk.kind == Vl2Packet::Kind::kOk && pk.in_re_verb == wire::Verb::kNetworkConfigRequest) {
      chunk(pk.payload, true, pk.in_re_packet_id);
    } else if (pk.kind == Vl2Packet::Kind::kRequest && pk.verb == wire::Verb::kNetworkConfig) {
      chunk(pk.payload, false, 0);
    } else if (pk.kind == Vl2Packet::Kind::kError) {
      errors.push_back({pk.error_code, {pk.payload.begin(), pk.payload.end()}});
    } else if (pk.kind == Vl2Packet::Kind::kRequest &&
               pk.verb == wire::Verb::kNetworkCredentials) {
      wire::NetworkCredentials c;
      if (wire::decode_network_credentials(pk.payload, c) != wire::CredentialStatus::kOk) {
        ++bad;
        return;
      }
      for (auto& r : c.revocations) revocations.push_back(r);
    }
  }

  void chunk(std::span<const uint8_t> payload, bool ok, uint64_t in_re) {
    wire::ConfigChunk ch;
    if (wire::parse_config_chunk(payload, ch) != wire::ChunkStatus::kOk) {
      ++bad;
      return;
    }
    auto it = assemblers.find(ch.network_id);
    if (it == assemblers.end()) it = assemblers.emplace(ch.network_id, wire::ConfigAssembler(ch.network_id)).first;
    std::vector<uint8_t> dict;
    const auto r = it->second.add(payload, controller_id, &dict);
    if (r == wire::ConfigAssembler::Result::kPending) {
      ++pending;
      return;
    }
    if (r != wire::ConfigAssembler::Result::kComplete) {
      ++bad;
      return;
    }
    wire::NetworkConfig nc;
    if (wire::decode_network_config(dict, nc) != wire::ConfigStatus::kOk) {
      ++bad;
      return;
    }
    configs.push_back(nc);
    config_was_ok.push_back(ok);
    config_in_re.push_back(in_re);
  }

  std::map<uint64_t, wire::ConfigAssembler> assemblers;
};

struct ControllerNet {
  control::test::Testnet t;
  TempDir dir;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<ConfigService> svc;
  int64_t wall = 1795571972000;
  MemberSide member{t.b};
  uint64_t nwid = t.b.address() << 24 | 0x000001;

  ControllerNet() {
    t.net.relays.insert("root");
    t.hello_roots("a");
    t.hello_roots("b");
    t.whois("a", t.b.address());
    t.whois("b", t.a.address());
    // A direct path between them: a config with credentials is fragmented,
    // and the harness's relay forwards whole packets only.
    Actions out;
    EXPECT_TRUE(t.core("a").send_hello(t.b.address(), control::test::path_from(t.b_at), t.now, out));
    t.net.pump("a", out, t.now);
    open();
    t.core("a").set_member(&member);
  }
  void open() {
    std::string err;
    store = store::SqliteStore::open(dir.file("controller.db"), &err);
    if (!store) throw std::runtime_error(err);
    svc = std::make_unique<ConfigService>(t.core("b"), *store, [this] { return wall; });
    t.core("b").set_controller(svc.get());
  }
  void close() {
    t.core("b").set_controller(nullptr);
    svc.reset();
    store.reset();
  }
  // A private network of ours with a /24 route and pool, v4 assignment on.
  Network network(uint64_t id = 0) {
    Network n;
    n.id = id ? id : nwid;
    n.name = "ctl-test";
    n.creation_time = wall;
    n.routes.push_back({"10.147.17.0/24", std::nullopt});
    n.ip_assignment_pools.push_back({"10.147.17.1", "10.147.17.254"});
    n.v4_assign_zt = true;
    return n;
  }
  void put(const Network& n) {
    std::string err;
    ASSERT_EQ(store->put_network(n, nullptr, &err), store::Status::kOk) << err;
  }
  void authorize(uint64_t address, bool yes = true) {
    std::string err;
    Member m;
    if (store->get_member(nwid, address, m, &err) != store::Status::kOk) {
      m = Member{};
      m.nwid = nwid;
      m.address = address;
    }
    m.authorized = yes;
    (yes ? m.last_authorized_time : m.last_deauthorized_time) = wall;
    ASSERT_EQ(store->put_member(m, nullptr, &err), store::Status::kOk) << err;
  }
  // Member A asks for `id`'s config; returns the request's packet ID.
  uint64_t request(uint64_t id = 0, unsigned revr = 1) {
    wire::ConfigRequest r;
    r.network_id = id ? id : nwid;
    r.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
    if (!revr) {
      wire::Dictionary d;
      for (const auto& e : r.metadata.entries())
        if (e.key != "revr") d.add(e.key, e.value);
      r.metadata = d;
    }
    std::vector<uint8_t> payload;
    EXPECT_TRUE(wire::encode_config_request(r, payload));
    Actions out;
    const uint64_t pid =
        t.core("a").send_to(t.b.address(), wire::Verb::kNetworkConfigRequest, payload, t.now, out);
    t.net.pump("a", out, t.now);
    return pid;
  }
  void run() {
    Actions out;
    svc->run(t.now, out);
    t.net.pump("b", out, t.now);
  }
  wire::IdentityLookup lookup() {
    return [this](uint64_t a) -> const crypto::Identity* {
      if (a == t.b.address()) return &t.b;
      if (a == t.a.address()) return &t.a;
      return nullptr;
    };
  }
};

}  // namespace flatnet::control::controller::testing
