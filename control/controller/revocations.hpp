// The revocation a controller issues when it deauthorizes or deletes a
// member (spec §10.8; stock onNetworkMemberDeauthorize): the member's COMs
// stamped at or before `now` are void, fast-propagated, signed by the
// controller, and sent in a NETWORK_CREDENTIALS packet with no other
// credentials (stock Node::ncSendRevocation).
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/identity.hpp"
#include "dataplane/wire/revocation.hpp"

namespace flatnet::control::controller {

wire::Revocation make_revocation(uint64_t nwid, uint64_t target, uint64_t now_ms);
// The NETWORK_CREDENTIALS payload; false if signing fails.
bool revocation_payload(uint64_t nwid, uint64_t target, uint64_t now_ms,
                        const crypto::Identity& controller, std::vector<uint8_t>& out);

}  // namespace flatnet::control::controller
