// libFuzzer target: a /controller POST body (any bytes) applied to a default
// network and member the way the routes apply it. Whatever the body, the
// result is either read back as a record (and then renders and re-reads to
// the same record) or refused with a sentence; the only exception allowed is
// the type_error stock itself answers 500 with.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "control/api/controller_post.hpp"
#include "control/controller/member.hpp"
#include "control/controller/network.hpp"

using namespace flatnet::control;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json body = json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return 0;  // the route answers stock's 500
  controller::Network n;
  n.id = 0x0123456789000001ull;
  std::string err;
  controller::Network out, again;
  try {
    if (controller::network_from_json(api::network_post(controller::network_to_json(n), body), 0,
                                      out, &err)) {
      if (!controller::network_from_json(controller::network_to_json(out), 0, again, &err) ||
          !(out == again))
        std::abort();
    } else if (err.empty()) {
      std::abort();
    }
  } catch (const json::type_error&) {
    // MATCH_CHARACTERISTICS with a mask of another type: stock's 500 too.
  }
  controller::Member m;
  m.nwid = n.id;
  m.address = 0xabcdef0123ull;
  controller::Member mo;
  err.clear();
  try {
    if (!controller::member_from_json(api::member_post(controller::member_to_json(m), body, 1), 0,
                                      mo, &err) &&
        err.empty())
      std::abort();
  } catch (const json::type_error&) {
    // a non-string ipAssignments entry: stock's 500 too
  }
  return 0;
}
