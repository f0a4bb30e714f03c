// What a POST body does to a controller record, as stock 1.14.1's handlers
// do it: only the fields stock accepts from the API, each coerced as stock
// coerces it, bad entries of lists dropped, everything else in the body
// ignored. Pure functions on JSON; the routes (controller_routes.cpp) read
// the result back into a record (control/controller/) and store it.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace flatnet::control::api {

// `network` is the record as stored (or a new record's defaults); `body` the
// parsed request body (not an object: nothing changes). Lists longer than
// the record limit are kept whole so the record refuses them (stock cuts
// them at 16,384; flatnet answers 400).
nlohmann::json network_post(nlohmann::json network, const nlohmann::json& body);

// `now_ms` stamps lastAuthorizedTime / lastDeauthorizedTime when
// "authorized" changes. Throws nlohmann::json::type_error where stock throws
// (an ipAssignments entry that is not a string): stock answers 500 and
// stores nothing.
nlohmann::json member_post(nlohmann::json member, const nlohmann::json& body, int64_t now_ms);

}  // namespace flatnet::control::api
