// libFuzzer target: every verb decoder of control/core/verbs.hpp on the
// same input (first byte picks nothing; all decoders see every input).
#include <cstddef>
#include <cstdint>
#include <span>

#include "control/core/verbs.hpp"

using namespace flatnet::control;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> p(data, size);
  Hello h;
  size_t tail = 0;
  if (decode_hello(p, h, &tail) == DecodeStatus::kOk && tail) (void)decode_hello_moons(p, tail, h);
  OkHello okh;
  (void)decode_ok_hello(p, okh);
  Error e;
  (void)decode_error(p, e);
  Whois w;
  (void)decode_whois(p, w);
  OkWhois okw;
  (void)decode_ok_whois(p, okw);
  Rendezvous r;
  if (decode_rendezvous(p, r) == DecodeStatus::kOk) {
    std::vector<uint8_t> out;
    flatnet::wire::Writer wr(out);
    encode_rendezvous(r, wr);  // must re-encode what it decoded
  }
  MulticastLike ml;
  (void)decode_multicast_like(p, ml);
  MulticastGather mg;
  (void)decode_multicast_gather(p, mg);
  OkMulticastGather okg;
  (void)decode_ok_multicast_gather(p, okg);
  PushDirectPaths pd;
  (void)decode_push_direct_paths(p, pd);
  return 0;
}
