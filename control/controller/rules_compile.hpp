// Compiling a network's rules, as stock stores them (JSON objects with a
// "type" and type-specific fields, see network.hpp), into the rule table a
// network config carries (wire::Rule, spec §10.9). Follows stock's
// _parseRule: fields are read with stock's coercions (coerce.hpp), an
// unknown type or a non-object is skipped, and INTEGER_RANGE is skipped as
// stock 1.14.1 skips it (its parser never sets the type and reports
// failure).
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/wire/rules.hpp"

namespace flatnet::control::controller {

// One rule; false if stock would skip it.
bool compile_rule(const nlohmann::json& j, wire::Rule& out);
// The rules of a JSON array, at most `max` compiled ones (stock stops at
// its limit); a non-array compiles to nothing.
std::vector<wire::Rule> compile_rules(const nlohmann::json& rules, std::size_t max);

}  // namespace flatnet::control::controller
