// Fuzz target: the CREDS_CHUNK blob's decoder (tables::vl2::decode_creds),
// the one parser of the credentials control sends the gateway -- tags,
// capabilities' rules and the owned addresses with the NDP-emulated
// prefixes. Invariants on success: every bound held, every owned list
// strictly ascending and each of its entries found by its lookup; then one
// frame whose source is the first owned address is run through a
// CHARACTERISTICS rule that asks for both ownership bits. Pure: no EAL.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "dataplane/fastpath/vl2.hpp"
#include "dataplane/tables/vl2_rules.hpp"

namespace {

using flatnet::tables::vl2::CompiledCreds;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > FLATNET_IPC_VL2_CREDS_MAX) return 0;
  CompiledCreds c;
  if (!flatnet::tables::vl2::decode_creds(std::span<const uint8_t>(data, size), &c)) return 0;
  check(c.n_tags <= CompiledCreds::kMaxTags && c.n_caps <= CompiledCreds::kMaxCaps);
  check(c.n_ips4 <= CompiledCreds::kMaxOwned && c.n_ips6 <= CompiledCreds::kMaxOwned &&
        c.n_macs <= CompiledCreds::kMaxOwned);
  for (uint32_t i = 0; i < c.n_ips4; ++i) check(c.owns_ip4(c.ips4[i]) && (i == 0 || c.ips4[i - 1] < c.ips4[i]));
  for (uint32_t i = 0; i < c.n_macs; ++i) check(c.owns_mac(c.macs[i]) && (i == 0 || c.macs[i - 1] < c.macs[i]));
  for (uint32_t i = 0; i < c.n_ips6; ++i) {
    uint8_t a[16];
    for (int k = 0; k < 8; ++k) {
      a[k] = uint8_t(c.ips6[i].hi >> (56 - 8 * k));
      a[8 + k] = uint8_t(c.ips6[i].lo >> (56 - 8 * k));
    }
    check(c.owns_ip6(a) && (i == 0 || c.ips6[i - 1] < c.ips6[i]));
  }
  // An address inside each emulated prefix counts as owned.
  uint8_t in_prefix[16] = {};
  if (c.ndp & CompiledCreds::kNdp6plane) {
    std::memcpy(in_prefix, c.ndp_6plane, 5);
    check(c.ndp_emulated(in_prefix));
  }
  if (c.ndp & CompiledCreds::kNdpRfc4193) {
    std::memcpy(in_prefix, c.ndp_rfc4193, 11);
    check(c.ndp_emulated(in_prefix));
  }

  // An IPv4 frame from the first owned address (or 0.0.0.0), inbound from
  // this member and outbound as ours: SENDER_IP_AUTHENTICATED must match
  // exactly when an address is owned.
  static flatnet::tables::vl2::CompiledRules rules = [] {
    flatnet::tables::vl2::CompiledRules r;
    r.n = 3;  // owned -> ACCEPT, else DROP (no capability asked)
    r.r[0].t = uint8_t(flatnet::wire::RuleType::kMatchCharacteristics);
    r.r[0].value = 0x1000000000000000ull;
    r.r[1].t = uint8_t(flatnet::wire::RuleType::kActionAccept);
    r.r[2].t = uint8_t(flatnet::wire::RuleType::kActionDrop);
    return r;
  }();
  uint8_t ip[20] = {0x45};
  const uint32_t src = c.n_ips4 ? c.ips4[0] : 0;
  for (int k = 0; k < 4; ++k) ip[12 + k] = uint8_t(src >> (24 - 8 * k));
  for (bool inbound : {true, false}) {
    flatnet::fastpath::RuleFrame f;
    f.inbound = inbound;
    f.self = 1;
    f.peer = 2;
    f.ethertype = 0x0800;
    f.payload = ip;
    f.payload_len = sizeof ip;
    f.local = &c;
    f.remote = &c;
    uint64_t rnd = 1;
    const auto r = flatnet::fastpath::rules_evaluate(&rules, f, &rnd);
    check((r.verdict == flatnet::fastpath::RuleVerdict::kAccept) == (c.n_ips4 > 0));
  }
  return 0;
}
