// libFuzzer target: config chunk parsing and reassembly. The input is a
// list of records (u8 mode, u16 length, chunk payload); with mode bit 0
// set, a chunk that parses is re-signed with this target's controller key
// first, so the fuzzer reaches the reassembly logic behind the signature
// check (bounds, duplicates, overlaps, slot eviction, completion).
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/config_chunk.hpp"
#include "dataplane/wire/network_config.hpp"

namespace {

const flatnet::crypto::Identity& controller() {
  static const flatnet::crypto::Identity id = flatnet::crypto::Identity::generate();
  return id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  Reader in(data, size);
  std::unique_ptr<ConfigAssembler> a;
  for (int records = 0; records < 64 && in.remaining() > 0; ++records) {
    const uint8_t mode = in.u8();
    const auto rec = in.view(in.u16());
    if (!in.ok()) break;
    std::vector<uint8_t> p(rec.begin(), rec.end());
    ConfigChunk c;
    const auto st = parse_config_chunk(p, c);
    if (st == ChunkStatus::kOk) {
      if (c.signed_bytes.size() + 3 + 96 > p.size() || c.index + c.data.size() > c.total_length)
        std::abort();
      if (mode & 1) {
        const auto sig = controller().sign(c.signed_bytes);
        std::memcpy(p.data() + c.signed_bytes.size() + 3, sig.data(), sig.size());
      }
    }
    if (!a) {
      Reader r(p);
      a = std::make_unique<ConfigAssembler>(r.u64());
    }
    std::vector<uint8_t> dict;
    uint64_t update = 0;
    const auto res = a->add(p, controller(), &dict, &update);
    if (res == ConfigAssembler::Result::kComplete) {
      if (st != ChunkStatus::kOk || update != c.update_id || dict.size() != c.total_length) std::abort();
      NetworkConfig nc;
      (void)decode_network_config(dict, nc);
    }
    if (a->in_progress() > kConfigMaxIncomingUpdates) std::abort();
  }
  return 0;
}
