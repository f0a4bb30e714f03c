// libFuzzer target: stock-form JSON rules (as an API or an imported
// controller.d may hold them) compiled into a rule table. Any JSON must
// compile without crashing, within the limit, and what compiles must
// survive the wire codec unchanged (the table a member decodes is the one
// the controller built).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/controller/rules_compile.hpp"

using namespace flatnet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  const auto rules = control::controller::compile_rules(j, wire::kNetworkMaxRules);
  if (rules.size() > wire::kNetworkMaxRules) std::abort();
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  wire::write_rules(w, rules);
  std::vector<wire::Rule> back;
  if (wire::decode_rules(bytes, back) != wire::RuleStatus::kOk || back != rules) std::abort();
  return 0;
}
