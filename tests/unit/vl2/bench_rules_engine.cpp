// Benchmark of the rule evaluator (never asserted; run with
// `meson test -C <build> --benchmark bench_vl2_rules` or directly).
// Prints ns per frame, median and spread over repetitions, for issue 10's
// "drop TCP/22" table and for a 1,024-rule table evaluated in full.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "control/vl2/rules_engine.hpp"
#include "tests/unit/vl2/frames.hpp"

using namespace flatnet::vl2;
using namespace flatnet::vl2::test;
using flatnet::wire::Rule;
using flatnet::wire::RuleType;

namespace {

void measure(const char* name, const std::vector<Rule>& rules, const std::vector<uint8_t>& bytes,
             int batch) {
  FrameView v;
  parse_ethernet(bytes, v);
  FilterInput in;
  in.self = 0x1111111111;
  in.peer = 0x2222222222;
  in.frame = &v;
  std::vector<double> ns;
  unsigned sink = 0;
  for (int r = 0; r < 15; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < batch; ++i) sink += unsigned(evaluate(in, rules, {}).verdict);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
                 batch);
  }
  std::sort(ns.begin(), ns.end());
  std::printf("%-34s %5zu rules  median %8.1f ns/frame  min %8.1f  max %8.1f  (%u)\n", name,
              rules.size(), ns[ns.size() / 2], ns.front(), ns.back(), sink % 2);
}

Rule match(RuleType t, uint8_t flags = 0) {
  Rule r;
  r.t = uint8_t(uint8_t(t) | flags);
  return r;
}

}  // namespace

int main() {
  Rule proto = match(RuleType::kMatchIpProtocol);
  proto.ip_protocol = 6;
  Rule port = match(RuleType::kMatchIpDestPortRange);
  port.range = {22, 22};
  const std::vector<Rule> small{proto, port, Rule::action(RuleType::kActionDrop),
                                Rule::action(RuleType::kActionAccept)};
  measure("drop-tcp22, TCP SYN to 22", small, tcp_syn_22(), 200000);
  measure("drop-tcp22, UDP", small, udp_dns(), 200000);

  // Sets that are evaluated in full and never taken, then ACCEPT.
  Rule syn = match(RuleType::kMatchCharacteristics);
  syn.characteristics = kCharTcpFlagSyn;
  Rule low = match(RuleType::kMatchIpDestPortRange, flatnet::wire::kRuleOr);
  low.range = {1, 2};
  Rule never = match(RuleType::kMatchFrameSizeRange);
  never.range = {9000, 9000};
  std::vector<Rule> big;
  while (big.size() < flatnet::wire::kNetworkMaxRules - 4)
    for (const Rule& r : {syn, low, never, Rule::action(RuleType::kActionDrop)}) big.push_back(r);
  big.push_back(Rule::action(RuleType::kActionAccept));
  measure("1,021 rules in full, TCP SYN", big, tcp_syn_22(), 1000);
  measure("1,021 rules in full, UDP", big, udp_dns(), 1000);
  return 0;
}
