// libFuzzer target: a stream of datagrams into one Reassembler. Input is a
// sequence of records: u8 path, u8 time step, u16 length, that many bytes.
#include <cstdlib>
#include <vector>

#include "dataplane/wire/fragment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  Reassembler r(50);
  std::vector<uint8_t> out;
  uint64_t now = 0;
  size_t pos = 0;
  for (int i = 0; i < 256 && size - pos >= 4; ++i) {
    const uint8_t path = data[pos], step = data[pos + 1];
    size_t len = size_t(data[pos + 2]) << 8 | data[pos + 3];
    pos += 4;
    if (len > size - pos) len = size - pos;
    now += step;
    if (r.add(path, {data + pos, len}, now, &out) == ReassemblyResult::kComplete &&
        (out.size() > kMaxPacketLength || out.size() < kPacketHeaderLength))
      std::abort();
    if (r.in_use() > Reassembler::kSlots) std::abort();
    pos += len;
  }
  // The splitter must accept what it can and re-join it exactly.
  if (size >= kPacketHeaderLength) {
    std::vector<uint8_t> p(data, data + size);
    p[13] = 0;  // not a fragment indicator
    set_fragmented_flag(p.data(), p.size());
    auto d = split_packet(p);
    if (d.size() > 1) {
      Reassembler j;
      ReassemblyResult res = ReassemblyResult::kPending;
      for (size_t k = d.size(); k-- > 0;) res = j.add(1, d[k], 0, &out);
      if (res != ReassemblyResult::kComplete || out != p) std::abort();
    }
  }
  return 0;
}
