// Fuzz target for the port's parsers of outside input: the devicemap file,
// /proc/net/dev_mcast, and frames the kernel hands over with a vnet header
// (parse, checksum completion, GSO split). The first byte picks the parser.
// Nothing may crash, read out of bounds or produce more output than given
// room; a split's segments must fit their slots.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "control/port/naming.hpp"
#include "control/port/subscriptions.hpp"
#include "control/port/vnet_hdr.hpp"

using namespace flatnet::control::port;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t which = data[0] % 3;
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
