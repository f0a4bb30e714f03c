// libFuzzer target: a rule table decoded by dataplane/wire/rules applied to
// a frame, both from the input. Byte 0 splits the input: the first
// (byte0 * 4 % rest) bytes are the rules, the remainder the Ethernet frame;
// byte 1 picks direction and VLAN mode. Checks no crash and that the same
// input and seed give the same result.
#include <cstdlib>
#include <vector>

#include "control/vl2/rules_engine.hpp"

using namespace flatnet::vl2;

namespace {
FilterResult run(const FilterInput& base, std::span<const flatnet::wire::Rule> rules, uint64_t seed) {
  SeededRandom rng(seed);
  FilterInput in = base;
  in.random = &rng;
  const std::span<const flatnet::wire::Rule> caps[] = {rules, rules.subspan(rules.size() / 2)};
  return evaluate(in, rules, caps);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t rest = size - 2;
  const size_t cut = rest ? (size_t(data[0]) * 4) % (rest + 1) : 0;
  std::vector<flatnet::wire::Rule> rules;
  if (flatnet::wire::decode_rules({data + 2, cut}, rules) != flatnet::wire::RuleStatus::kOk) return 0;
  FrameView f;
  const auto mode = (data[1] & 2) ? VlanMode::kParseTag : VlanMode::kStock;
  if (!parse_ethernet({data + 2 + cut, rest - cut}, f, mode)) return 0;
  const TagValue local[] = {{1, data[1]}, {7, 0x55}};
  const TagValue remote[] = {{1, 3}, {7, data[0]}};
  const TagSet remote_set{remote};
  FilterInput in;
  in.direction = (data[1] & 1) ? Direction::kInbound : Direction::kOutbound;
  in.self = 0x1111111111;
  in.peer = 0x2222222222;
  in.frame = &f;
  in.local_tags = TagSet{local};
  in.remote_tags = (data[1] & 4) ? &remote_set : nullptr;
  const FilterResult a = run(in, rules, 42);
  const FilterResult b = run(in, rules, 42);
  if (a.verdict != b.verdict || a.redirect_to != b.redirect_to || !(a.copy == b.copy) ||
      !(a.capability_copy == b.capability_copy) || a.capability != b.capability ||
      a.qos_bucket != b.qos_bucket)
    std::abort();
  return 0;
}
