// Fuzz target for the port's parsers of outside input: the devicemap file,
// /proc/net/dev_mcast, and frames the kernel hands over with a vnet header
// (parse, checksum completion, GSO split), and a burst of frames from peers
// coalesced for the tap (write-side GRO). The first byte picks the parser.
// Nothing may crash, read out of bounds or produce more output than given
// room; a split's segments must fit their slots.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "control/port/gro.hpp"
#include "control/port/naming.hpp"
#include "control/port/subscriptions.hpp"
#include "control/port/vnet_hdr.hpp"

using namespace flatnet::control::port;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t which = data[0] % 4;
  ++data;
  --size;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (which == 0) {
    const DeviceMap m = parse_devicemap(text);
    if (parse_devicemap(format_devicemap(m)).size() > m.size()) __builtin_trap();
    return 0;
  }
  if (which == 1) {
    (void)parse_dev_mcast(text, "zt4kma6dg3");
    return 0;
  }
  if (which == 3) {
    // Frames as 2-byte big-endian lengths and bytes; every frame must come
    // out exactly once, and each super-frame split back into as many.
    std::vector<FrameView> in;
    for (size_t at = 0; at + 2 <= size;) {
      const size_t n = std::min<size_t>((size_t(data[at]) << 8 | data[at + 1]), size - at - 2);
      in.push_back({data + at + 2, uint32_t(n)});
      at += 2 + n;
    }
    TapGro g;
    std::vector<FrameView> out;
    g.coalesce(in, &out);
    size_t frames = 0;
    std::vector<std::vector<uint8_t>> bufs(64, std::vector<uint8_t>(70000));
    std::vector<FrameSlot> slots;
    for (auto& b : bufs) slots.push_back(FrameSlot{b.data(), uint32_t(b.size()), 0});
    for (size_t i = 0; i < out.size(); ++i) {
      frames += g.frames_of(i);
      VnetHdr v;
      if (!parse_vnet_hdr(out[i].data, out[i].len, &v)) __builtin_trap();
      if (g.frames_of(i) > 1) {
        GsoError err;
        const size_t n = gso_split(v, out[i].data + kVnetHdrLen, out[i].len - kVnetHdrLen, slots, &err);
        if (n != g.frames_of(i)) __builtin_trap();
      }
    }
    if (frames != in.size()) __builtin_trap();
    return 0;
  }
  VnetHdr h;
  if (!parse_vnet_hdr(data, size, &h)) return 0;
  std::vector<uint8_t> frame(data + kVnetHdrLen, data + size);
  (void)complete_checksum(h, frame.data(), frame.size());
  // Slots of 1600 bytes: enough for MSS-size segments, too small for a
  // bogus gso_size -- which must be refused, not overflowed.
  std::vector<std::vector<uint8_t>> bufs(48, std::vector<uint8_t>(1600));
  std::vector<FrameSlot> slots;
  for (auto& b : bufs) slots.push_back(FrameSlot{b.data(), uint32_t(b.size()), 0});
  GsoError err;
  const size_t n = gso_split(h, frame.data(), frame.size(), slots, &err);
  if (n > slots.size()) __builtin_trap();
  for (size_t i = 0; i < n; ++i)
    if (slots[i].len > slots[i].cap) __builtin_trap();
  return 0;
}
