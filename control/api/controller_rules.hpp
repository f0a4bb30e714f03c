// A rule object of a POST body as stock's controller keeps it: read with
// stock's coercions into the rule it denotes and written back in stock's
// rendering (every field of the type, hex addresses, "ip/bits", not/or on
// match rules only). The API stores rules in this form, so a UI reading a
// network back sees what it would see from stock.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace flatnet::control::api {

// nullopt for what stock drops: not an object, an unknown "type", and
// INTEGER_RANGE (stock 1.14.1 parses it but never accepts it). Throws
// nlohmann::json::type_error where stock's handler throws (a
// MATCH_CHARACTERISTICS "mask" that is neither a number nor a string); the
// route answers that with stock's 500.
std::optional<nlohmann::json> stock_rule(const nlohmann::json& in);

}  // namespace flatnet::control::api
