// libFuzzer target: a sequence of InetAddresses, and the text parser.
#include <cstdlib>
#include <string_view>
#include <vector>

#include "dataplane/wire/inet_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  Reader r(data, size);
  for (int i = 0; i < 64 && r.remaining() > 0; ++i) {
    InetAddress a;
    const InetStatus s = read_inet_address(r, a);
    if (s == InetStatus::kTruncated || s == InetStatus::kBadType) break;
    if (s == InetStatus::kOk) {
      std::vector<uint8_t> out;
      Writer w(out);
      write_inet_address(w, a);
      if (out.size() != a.wire_size()) std::abort();
      if (!a.is_null()) {
        auto back = InetAddress::from_string(a.to_string());
        if (!back || !(*back == a)) std::abort();
      }
    }
  }
  (void)InetAddress::from_string(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
