// Config pushes after a change are rate-limited (kPushesPerSecond, a token
// bucket), revocations are not, and the journal is read in bounded
// batches. Drives ConfigService through a Vl1Link that records sends, with
// many members whose identities are key pairs with chosen addresses (the
// controller does not run the memory-hard check; the core does before it).
#include <gtest/gtest.h>

#include <map>

#include "control/controller/config_service.hpp"
#include "control/controller/store/sqlite_store.hpp"
#include "dataplane/wire/config_request.hpp"
#include "tests/unit/controller/store_fixture.hpp"

namespace flatnet::control::controller::testing {
namespace {

crypto::Identity member_identity(uint64_t address) {
  crypto::PublicKey pub;
  crypto::PrivateKey priv;
  crypto::c25519_generate(pub, priv);
  static const char* hx = "0123456789abcdef";
  std::string s;
  for (int i = 9; i >= 0; --i) s += hx[(address >> (4 * i)) & 15];
  s += ":0:";
  for (uint8_t b : pub) s += {hx[b >> 4], hx[b & 15]};
  return crypto::Identity::from_string(s).value();
}

struct Link final : Vl1Link {
  explicit Link(const crypto::Identity& id) : id_(id) {}
  const crypto::Identity& self() const override { return id_; }
  uint64_t send_to(uint64_t, wire::Verb verb, std::span<const uint8_t>, uint64_t,
                   Actions&) override {
    ++sent[verb];
    return 1;
  }
  const crypto::Identity* identity_of(uint64_t) const override { return nullptr; }
  void want_identity(uint64_t, uint64_t, Actions&) override {}
  const std::vector<uint64_t>& upstreams() const override { return none_; }
  bool direct_path_to(uint64_t, uint64_t) const override { return true; }
  std::optional<uint32_t> direct_latency(uint64_t, uint64_t) const override { return 1; }
  std::map<wire::Verb, uint64_t> sent;

 private:
  const crypto::Identity& id_;
  std::vector<uint64_t> none_;
};

const crypto::Identity& controller_identity() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}

struct Many {
  TempDir dir;
  std::unique_ptr<store::SqliteStore> s;
  Link link{controller_identity()};
  std::unique_ptr<ConfigService> svc;
  uint64_t nwid = controller_identity().address() << 24 | 7;
  std::vector<crypto::Identity> ids;
  uint64_t now = 5'000'000;

  explicit Many(unsigned n) {
    std::string err;
    // synchronous=NORMAL: thousands of member writes; durability is not the point here.
    s = store::SqliteStore::open(dir.file("controller.db"), &err, store::SqliteStore::Options{false});
    Network net;
    net.id = nwid;
    net.is_private = false;  // everyone admitted: no authorizing needed
    EXPECT_EQ(s->put_network(net, nullptr, &err), store::Status::kOk) << err;
    svc = std::make_unique<ConfigService>(link, *s, [] { return int64_t(1795571972000); });
    wire::ConfigRequest r;
    r.network_id = nwid;
    r.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
    std::vector<uint8_t> payload;
    EXPECT_TRUE(wire::encode_config_request(r, payload));
    for (unsigned i = 0; i < n; ++i) {
      ids.push_back(member_identity(0x1000000000ULL + i));
      Vl2Packet pk;
      pk.source = ids.back().address();
      pk.identity = &ids.back();
      pk.verb = wire::Verb::kNetworkConfigRequest;
      pk.packet_id = i + 1;
      pk.payload = payload;
      Actions out;
      svc->packet(pk, now, out);
    }
  }
};

TEST(ControllerPushRate, ChangePushesAtMostTheRateAndAllEventually) {
  Many m(2500);
  ASSERT_EQ(m.link.sent[wire::Verb::kOk], 2500u);
  Actions out;
  while (m.svc->run(m.now, out)) {
  }  // the members' own records (in batches): nothing to push
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkConfig], 0u);
  Network net;
  std::string err;
  ASSERT_EQ(m.s->get_network(m.nwid, net, &err), store::Status::kOk);
  net.name = "changed";
  ASSERT_EQ(m.s->put_network(net, nullptr, &err), store::Status::kOk);
  m.svc->run(m.now, out);
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkConfig], kPushesPerSecond);  // a full bucket
  m.svc->run(m.now + 100, out);
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkConfig], kPushesPerSecond + kPushesPerSecond / 10);
  m.svc->run(m.now + 1000, out);
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkConfig], 2500u);  // each once
  m.svc->run(m.now + 5000, out);
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkConfig], 2500u);
}

TEST(ControllerPushRate, RevocationsAreNotLimitedAndGoToEveryOnlineMember) {
  Many m(300);
  std::string err;
  for (unsigned i = 0; i < 5; ++i)
    ASSERT_EQ(m.s->delete_member(m.nwid, m.ids[i].address(), &err), store::Status::kOk);
  Actions out;
  EXPECT_FALSE(m.svc->run(m.now, out));
  // Each of the 5 revocations to all 300 online members (the deleted ones
  // included, as stock: they may still be online).
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkCredentials], 5u * 300u);
  EXPECT_EQ(m.svc->counters().revocations_sent, 5u * 300u);
}

// A deleted network: each online member's COM revoked to every online
// member; the offline ones are not (members x online packets otherwise).
TEST(ControllerPushRate, DeletedNetworkRevokesItsOnlineMembersOnly) {
  Many m(50);
  std::vector<Member> offline;
  for (unsigned i = 0; i < 2000; ++i) {
    Member x;
    x.nwid = m.nwid;
    x.address = 0x2000000000ULL + i;
    x.authorized = true;
    offline.push_back(x);
  }
  std::string err;
  ASSERT_EQ(m.s->put_members(offline, &err), store::Status::kOk);
  Actions out;
  while (m.svc->run(m.now, out)) {
  }
  ASSERT_EQ(m.s->delete_network(m.nwid, &err), store::Status::kOk);
  while (m.svc->run(m.now, out)) {
  }
  EXPECT_EQ(m.link.sent[wire::Verb::kNetworkCredentials], 50u * 50u);
}

TEST(ControllerPushRate, JournalIsReadInBoundedBatches) {
  Many m(1);
  std::vector<Member> batch;
  for (unsigned i = 0; i < kJournalBatch + 10; ++i) {
    Member x;
    x.nwid = m.nwid;
    x.address = 0x2000000000ULL + i;
    batch.push_back(x);
  }
  std::string err;
  ASSERT_EQ(m.s->put_members(batch, &err), store::Status::kOk);
  Actions out;
  EXPECT_TRUE(m.svc->run(m.now, out));
  EXPECT_FALSE(m.svc->run(m.now, out));
}

TEST(ControllerPushRate, RequestsForMissingNetworksKeepNoState) {
  Many m(0);
  const crypto::Identity id = member_identity(0x3000000000ULL);
  wire::ConfigRequest r;
  r.metadata = wire::stock_request_metadata(1, 14, 1, "linux/x86_64");
  for (uint64_t k = 0; k < 200; ++k) {
    r.network_id = (m.nwid & ~0xffffffULL) | (0x100000 + k);
    std::vector<uint8_t> payload;
    ASSERT_TRUE(wire::encode_config_request(r, payload));
    Vl2Packet pk;
    pk.source = id.address();
    pk.identity = &id;
    pk.verb = wire::Verb::kNetworkConfigRequest;
    pk.packet_id = k + 1;
    pk.payload = payload;
    Actions out;
    m.svc->packet(pk, m.now, out);
  }
  EXPECT_EQ(m.link.sent[wire::Verb::kError], 200u);
  EXPECT_EQ(m.svc->online_count(), 0u);
}

}  // namespace
}  // namespace flatnet::control::controller::testing
