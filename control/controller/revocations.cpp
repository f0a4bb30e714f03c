#include "control/controller/revocations.hpp"

#include "control/core/packet.hpp"
#include "dataplane/wire/network_credentials.hpp"

namespace flatnet::control::controller {

wire::Revocation make_revocation(uint64_t nwid, uint64_t target, uint64_t now_ms) {
  wire::Revocation r;
  r.id = uint32_t(random_packet_id());  // stock: a random ID
  r.network_id = nwid;
  r.credential_id = 0;
  r.threshold = now_ms;
  r.flags = wire::kRevocationFlagFastPropagate;
  r.target = target;
  r.type = wire::CredentialType::kCom;
  return r;
}

bool revocation_payload(uint64_t nwid, uint64_t target, uint64_t now_ms,
                        const crypto::Identity& controller, std::vector<uint8_t>& out) {
  wire::NetworkCredentials c;
  c.revocations.push_back(make_revocation(nwid, target, now_ms));
  if (!wire::revocation_sign(c.revocations.back(), controller)) return false;
  out.clear();
  return wire::encode_network_credentials(c, out);
}

}  // namespace flatnet::control::controller
