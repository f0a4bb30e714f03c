// VL2 formats against stock 1.14.1: the networks.d/<nwid>.conf each member
// saved, and every NETWORK_CONFIG_REQUEST, config chunk (OK and
// NETWORK_CONFIG), NETWORK_CREDENTIALS and inline COM in the captures --
// chunks verified with the controller's identity and reassembled, the
// dictionary and NetworkConfig decoded and checked against the
// controller's and members' JSON, COMs and COOs verified, and everything
// re-encoded to stock's bytes.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/dictionary.hpp"
#include "dataplane/wire/network_config.hpp"
#include "dataplane/wire/network_credentials.hpp"
#include "dataplane/wire/vl1.hpp"
#include "tests/conformance/capture_check.hpp"
#include "tests/conformance/vectors.hpp"

using namespace flatnet;
using namespace flatnet::wire;
using namespace flatnet::conformance;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr uint64_t kA = 0xee420f0cdaULL;  // node a, the controller
constexpr uint64_t kB = 0xc989c90153ULL;  // node b
constexpr uint64_t kNwid = 0xee420f0cda000001ULL;

std::vector<fs::path> testnets(const fs::path& v) {
  std::vector<fs::path> out;
  for (const auto& t : fs::directory_iterator(v))
    if (t.is_directory() && t.path().filename().string().rfind("testnet-", 0) == 0)
      out.push_back(t.path());
  std::sort(out.begin(), out.end());
  return out;
}

IdentityLookup lookup_in(const std::map<uint64_t, crypto::Identity>& ids) {
  return [&ids](uint64_t a) -> const crypto::Identity* {
    auto it = ids.find(a);
    return it == ids.end() ? nullptr : &it->second;
  };
}

json read_json(const fs::path& p) { return json::parse(read_text(p)); }

// Optional: FLATNET_CORPUS_OUT=<dir> writes seed inputs for the fuzz
// targets (how tests/fuzz/corpus/wire_{dictionary,config_chunk,...} were made).
void seed(const std::string& target, const std::string& name, std::span<const uint8_t> bytes,
          uint8_t prefix = 0xff) {
  const char* out = std::getenv("FLATNET_CORPUS_OUT");
  if (!out || !*out) return;
  const fs::path dir = fs::path(out) / target;
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary);
  if (prefix != 0xff) f.put(char(prefix));
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Checks a decoded config of `member` against the testnet's JSON.
void check_config_fields(const fs::path& t, const NetworkConfig& nc, uint64_t member,
                         const std::map<uint64_t, crypto::Identity>& ids) {
  const std::string m = member == kA ? "a" : "b";
  const json net = read_json(t / "controller-network.json");
  const json mem = read_json(t / ("controller-member-" + m + ".json"));
  const json ln = read_json(t / ("listnetworks-" + m + ".json"))[0];
  EXPECT_EQ(nc.network_id, kNwid);
  EXPECT_EQ(nc.issued_to, member);
  EXPECT_EQ(nc.name, net["name"].get<std::string>());
  EXPECT_EQ(nc.name, ln["name"].get<std::string>());
  EXPECT_EQ(nc.mtu, net["mtu"].get<unsigned>());
  EXPECT_EQ(nc.multicast_limit, net["multicastLimit"].get<uint64_t>());
  EXPECT_EQ(nc.is_public(), !net["private"].get<bool>());
  EXPECT_EQ(nc.broadcast_enabled(), net["enableBroadcast"].get<bool>());
  EXPECT_EQ(nc.revision, ln["netconfRevision"].get<uint64_t>());
  EXPECT_EQ(nc.credential_time_max_delta, kDefaultCredentialTimeMaxDelta);
  // Routes and assigned addresses, as the member reports them.
  ASSERT_EQ(nc.routes.size(), ln["routes"].size());
  for (size_t i = 0; i < nc.routes.size(); ++i) {
    EXPECT_EQ(nc.routes[i].target.to_string(), ln["routes"][i]["target"].get<std::string>());
    EXPECT_TRUE(nc.routes[i].via.is_null());
    EXPECT_EQ(nc.routes[i].flags, ln["routes"][i]["flags"].get<unsigned>());
    EXPECT_EQ(nc.routes[i].metric, ln["routes"][i]["metric"].get<unsigned>());
  }
  ASSERT_EQ(nc.static_ips.size(), ln["assignedAddresses"].size());
  for (size_t i = 0; i < nc.static_ips.size(); ++i)
    EXPECT_EQ(nc.static_ips[i].to_string(), ln["assignedAddresses"][i].get<std::string>());
  ASSERT_EQ(mem["ipAssignments"].size(), nc.static_ips.size());
  // Rules: the controller's one ACTION_ACCEPT.
  ASSERT_EQ(nc.rules.size(), 1u);
  EXPECT_EQ(nc.rules[0].t, uint8_t(RuleType::kActionAccept));
  EXPECT_TRUE(nc.dns.domain.empty());
  EXPECT_TRUE(nc.dns.servers.empty());
  EXPECT_EQ(nc.sso_version, 0u);
  EXPECT_FALSE(nc.sso_enabled);

  // The COM: issued to this member by the controller, verifiable, bound to
  // the member's identity, timestamp = the config's.
  ASSERT_TRUE(nc.com.has_value());
  const auto& com = *nc.com;
  EXPECT_EQ(com.qualifiers.size(), 7u);
  EXPECT_EQ(com.signed_by, kA);
  EXPECT_EQ(com.network_id(), kNwid);
  EXPECT_EQ(com.issued_to(), member);
  EXPECT_EQ(com.timestamp(), nc.timestamp);
  EXPECT_EQ(com.qualifiers[0].max_delta, nc.credential_time_max_delta);
  EXPECT_EQ(com_verify(com, lookup_in(ids)), VerifyResult::kOk);
  const auto reissued = CertificateOfMembership::issue(nc.timestamp, nc.credential_time_max_delta,
                                                       kNwid, ids.at(member));
  EXPECT_EQ(reissued.qualifiers, com.qualifiers);
  // Our signature is deterministic (Ed25519): signing the same qualifiers
  // with A's key reproduces stock's signature byte for byte.
  auto resigned = reissued;
  ASSERT_TRUE(com_sign(resigned, ids.at(kA)));
  EXPECT_EQ(resigned.signature, com.signature);
  auto forged = com;
  forged.qualifiers[0].value += 1;
  EXPECT_EQ(com_verify(forged, lookup_in(ids)), VerifyResult::kBadSignature);
  uint64_t need = 0;
  EXPECT_EQ(com_verify(com, [](uint64_t) { return nullptr; }, &need), VerifyResult::kNeedIdentity);
  EXPECT_EQ(need, kA);

  // The COO: one, id 1, owning exactly the assigned addresses.
  ASSERT_EQ(nc.coos.size(), 1u);
  const auto& coo = nc.coos[0];
  EXPECT_EQ(coo.id, 1u);
  EXPECT_EQ(coo.issued_to, member);
  EXPECT_EQ(coo.timestamp, nc.timestamp);
  EXPECT_EQ(coo_verify(coo, lookup_in(ids)), VerifyResult::kOk);
  EXPECT_EQ(coo.things.size(), nc.static_ips.size());
  for (const auto& ip : nc.static_ips) EXPECT_TRUE(coo.owns_ip(ip));
  auto coo2 = coo;
  coo2.things[0].value[3] ^= 1;
  EXPECT_EQ(coo_verify(coo2, lookup_in(ids)), VerifyResult::kBadSignature);
}

}  // namespace

TEST(ConformanceNetconf, SavedConfigsDecodeVerifyAndReencode) {
  FLATNET_REQUIRE_VECTORS(V);
  size_t files = 0;
  for (const auto& t : testnets(V)) {
    const auto ids = load_node_identities(t);
    std::map<uint64_t, NetworkConfig> by_member;
    for (const char* m : {"a", "b"}) {
      const fs::path f = t / "nodes" / m / "networks.d" / "ee420f0cda000001.conf";
      if (!fs::exists(f)) continue;
      SCOPED_TRACE(f.string());
      ++files;
      const auto text = read_bytes(f);
      Dictionary d;
      ASSERT_EQ(parse_dictionary(text, d), DictStatus::kOk);
      std::vector<uint8_t> again;
      ASSERT_EQ(encode_dictionary(d, again), DictStatus::kOk);
      EXPECT_EQ(again, text) << "dictionary re-encoding differs";
      NetworkConfig nc;
      ASSERT_EQ(network_config_from_dictionary(d, nc), ConfigStatus::kOk);
      const uint64_t member = m[0] == 'a' ? kA : kB;
      check_config_fields(t, nc, member, ids);
      std::vector<uint8_t> enc;
      ASSERT_EQ(encode_network_config(nc, enc), ConfigStatus::kOk);
      EXPECT_EQ(enc, text) << "NetworkConfig re-encoding differs";
      seed("wire_dictionary", t.filename().string() + "-" + m + ".conf", text);
      by_member[member] = nc;
    }
    // The membership gate of a private network: A's COM agrees with B's
    // when B presents it with B's identity, and not with anyone else's.
    if (by_member.size() == 2) {
      const auto& ca = *by_member[kA].com;
      const auto& cb = *by_member[kB].com;
      EXPECT_TRUE(com_agrees_with(ca, cb, ids.at(kB)));
      EXPECT_TRUE(com_agrees_with(cb, ca, ids.at(kA)));
      EXPECT_FALSE(com_agrees_with(ca, cb, ids.at(kA)));
      auto late = cb;
      late.qualifiers[0].value = ca.timestamp() + ca.qualifiers[0].max_delta + 1;
      EXPECT_FALSE(com_agrees_with(ca, late, ids.at(kB)));
    }
  }
  EXPECT_EQ(files, 12u);
}

TEST(ConformanceNetconf, CapturedConfigExchanges) {
  FLATNET_REQUIRE_VECTORS(V);
  size_t requests = 0, chunks = 0, pushes = 0, configs = 0, credentials = 0, coms_seen = 0, gather_coms = 0,
         ext_frame_coms = 0, multicast_frame_coms = 0, multicast_frames = 0;
  for (const auto& t : testnets(V)) {
    const auto ids = load_node_identities(t);
    for (const auto& f : fs::directory_iterator(t)) {
      const auto name = f.path().filename().string();
      if (f.path().extension() != ".pcap" || name.rfind("capture-zt-", 0) == 0) continue;
      SCOPED_TRACE(t.filename().string() + "/" + name);
      const CaptureStats s = check_capture(f.path(), ids);
      ASSERT_TRUE(s.error.empty()) << s.error;
      std::map<uint64_t, ConfigAssembler> assemblers;  // per receiving member
      for (const auto& p : s.authenticated) {
        const auto& b = p.plain;
        if (b.size() < kIdxPayload) continue;
        const auto verb = Verb(b[kIdxVerb] & kVerbMask);
        const std::span<const uint8_t> pl(b.data() + kIdxPayload, b.size() - kIdxPayload);
        const uint64_t dst = packet_dest(b.data()), src = packet_source(b.data());
        const std::string tag = t.filename().string() + "-" + name + "-" + std::to_string(requests + chunks + credentials);

        std::span<const uint8_t> chunk;
        if (verb == Verb::kOk && pl.size() > 9 && pl[0] == uint8_t(Verb::kNetworkConfigRequest))
          chunk = pl.subspan(9);
        else if (verb == Verb::kNetworkConfig)
          chunk = pl;
        if (!chunk.empty()) {
          ++chunks;
          pushes += verb == Verb::kNetworkConfig;
          EXPECT_EQ(src, kA);
          ConfigChunk c;
          ASSERT_EQ(parse_config_chunk(chunk, c), ChunkStatus::kOk);
          EXPECT_EQ(c.network_id, kNwid);
          EXPECT_EQ(c.index, 0u);  // small configs: one chunk each
          EXPECT_EQ(c.flags, 0u);
          seed("wire_config_chunk", tag, chunk);
          auto it = assemblers.try_emplace(dst, kNwid).first;
          std::vector<uint8_t> dict;
          uint64_t update = 0;
          const auto r = it->second.add(chunk, ids.at(kA), &dict, &update);
          ASSERT_EQ(r, ConfigAssembler::Result::kComplete) << to_string(r);
          EXPECT_EQ(update, c.update_id);
          // Someone else's key does not verify it.
          ConfigAssembler other(kNwid);
          EXPECT_EQ(other.add(chunk, ids.at(kB), nullptr), ConfigAssembler::Result::kBadSignature);
          ++configs;
          NetworkConfig nc;
          ASSERT_EQ(decode_network_config(dict, nc), ConfigStatus::kOk);
          check_config_fields(t, nc, dst, ids);
          std::vector<uint8_t> enc;
          ASSERT_EQ(encode_network_config(nc, enc), ConfigStatus::kOk);
          EXPECT_EQ(enc, dict) << "captured config re-encoding differs";
          // Re-chunking with the same update ID and A's key gives stock's bytes.
          const auto again = make_config_chunks(kNwid, dict, c.update_id, ids.at(kA), c.flags);
          ASSERT_EQ(again.size(), 1u);
          EXPECT_TRUE(std::equal(again[0].begin(), again[0].end(), chunk.begin(), chunk.end()));
          continue;
        }
        if (verb == Verb::kNetworkConfigRequest) {
          ++requests;
          EXPECT_EQ(src, kB);
          ConfigRequest q;
          ASSERT_EQ(decode_config_request(pl, q), RequestStatus::kOk);
          EXPECT_EQ(q.network_id, kNwid);
          const Dictionary& d = q.metadata;
          EXPECT_EQ(d.get_u64("v"), 7u);
          EXPECT_EQ(d.get_u64("pv"), 12u);
          EXPECT_EQ(d.get_u64("mr"), kNetworkMaxRules);
          EXPECT_EQ(d.get_u64("mcr"), kCapabilityMaxRules);
          EXPECT_EQ(d.get_u64("revr"), 1u);
          // Exactly what a stock 1.14.1 member sends.
          EXPECT_EQ(d, stock_request_metadata(1, 14, 1, "linux/x86_64"));
          // The held revision/timestamp: 0 before the first config.
          if (q.have_revision != 0) {
            EXPECT_EQ(q.have_revision, 1u);
          }
          std::vector<uint8_t> again;
          ASSERT_TRUE(encode_config_request(q, again));
          EXPECT_TRUE(std::equal(again.begin(), again.end(), pl.begin(), pl.end()))
              << "request re-encoding differs";
          Reader meta(pl.subspan(8));
          seed("wire_dictionary", tag + "-meta", meta.view(meta.u16()));
          continue;
        }
        if (verb == Verb::kNetworkCredentials) {
          ++credentials;
          NetworkCredentials nc;
          ASSERT_EQ(decode_network_credentials(pl, nc), CredentialStatus::kOk);
          for (const auto& c : nc.coms) {
            ++coms_seen;
            EXPECT_EQ(c.issued_to(), src);
            EXPECT_EQ(com_verify(c, lookup_in(ids)), VerifyResult::kOk);
          }
          for (const auto& c : nc.coos) EXPECT_EQ(coo_verify(c, lookup_in(ids)), VerifyResult::kOk);
          for (const auto& c : nc.revocations)
            EXPECT_EQ(revocation_verify(c, lookup_in(ids)), VerifyResult::kOk);
          std::vector<uint8_t> again;
          ASSERT_TRUE(encode_network_credentials(nc, again));
          EXPECT_TRUE(std::equal(again.begin(), again.end(), pl.begin(), pl.end()))
              << "NETWORK_CREDENTIALS re-encoding differs";
          seed("wire_credentials", tag, pl, 5);
          continue;
        }
        // Inline COMs: MULTICAST_GATHER / EXT_FRAME / MULTICAST_FRAME with flag 0x01.
        size_t com_at = 0;
        multicast_frames += verb == Verb::kMulticastFrame;
        if (verb == Verb::kMulticastFrame && pl.size() > 9 && (pl[8] & 0x01)) com_at = 9;
        if (verb == Verb::kMulticastGather && pl.size() > 23 && (pl[8] & 0x01)) com_at = 23;
        if (verb == Verb::kExtFrame && pl.size() > 9 && (pl[8] & 0x01)) com_at = 9;
        if (com_at) {
          ++(verb == Verb::kMulticastGather ? gather_coms
             : verb == Verb::kExtFrame      ? ext_frame_coms
                                            : multicast_frame_coms);
          CertificateOfMembership c;
          ASSERT_EQ(decode_com(pl.subspan(com_at), c), CredentialStatus::kOk);
          EXPECT_EQ(com_verify(c, lookup_in(ids)), VerifyResult::kOk);
          seed("wire_credentials", tag + "-com", pl.subspan(com_at), 0);
        }
      }
    }
  }
  std::printf("captures: %zu NETWORK_CONFIG_REQUEST, %zu config chunks (%zu NETWORK_CONFIG) -> %zu configs, "
              "%zu NETWORK_CREDENTIALS with %zu COMs, inline COMs: %zu MULTICAST_GATHER, %zu EXT_FRAME, "
              "%zu MULTICAST_FRAME (of %zu)\n",
              requests, chunks, pushes, configs, credentials, coms_seen, gather_coms, ext_frame_coms,
              multicast_frame_coms, multicast_frames);
  EXPECT_GT(requests, 0u);
  EXPECT_GT(configs, 0u);
  EXPECT_GT(credentials, 0u);
  EXPECT_GT(coms_seen, 0u);
  EXPECT_GT(gather_coms, 0u);
}
