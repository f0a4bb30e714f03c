// libFuzzer target: the rule table decoder, in both forms (the config's
// uncounted "R" value and a capability's counted list; the first byte is
// the count). Decoded tables re-encode to bytes that decode the same.
#include <cstdlib>
#include <vector>

#include "dataplane/wire/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  std::vector<Rule> rules;
  if (decode_rules({data, size}, rules) == RuleStatus::kOk) {
    if (rules.size() > kNetworkMaxRules) std::abort();
    std::vector<uint8_t> out;
    Writer w(out);
    write_rules(w, rules);
    std::vector<Rule> again;
    if (decode_rules(out, again) != RuleStatus::kOk || again != rules) std::abort();
  }
  if (size > 0) {
    Reader r(data + 1, size - 1);
    (void)read_rules(r, data[0] % (kCapabilityMaxRules + 1), rules);
  }
  return 0;
}
