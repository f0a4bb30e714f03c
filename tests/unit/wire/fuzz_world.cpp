// libFuzzer target: world deserialize; whatever parses must re-serialize
// and parse again to the same world.
#include <cstdlib>
#include <vector>

#include "dataplane/wire/world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  World w;
  size_t used = 0;
  if (deserialize_world({data, size}, w, &used) != WorldStatus::kOk) return 0;
  if (used > size) std::abort();
  std::vector<uint8_t> out;
  if (!serialize_world(w, out)) std::abort();
  World again;
  if (deserialize_world(out, again) != WorldStatus::kOk) std::abort();
  std::vector<uint8_t> out2;
  serialize_world(again, out2);
  if (out2 != out) std::abort();
  (void)world_verify(w, w.updates_must_be_signed_by);
  return 0;
}
