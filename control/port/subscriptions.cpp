// Interface multicast subscriptions. See subscriptions.hpp.
#include "control/port/subscriptions.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace flatnet::control::port {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool group_less(const MulticastGroup& a, const MulticastGroup& b) {
  return a.mac != b.mac ? a.mac < b.mac : a.adi < b.adi;
}

std::vector<MulticastGroup> parse_dev_mcast(std::string_view text, std::string_view device) {
  std::vector<MulticastGroup> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    std::string_view fields[5];
    size_t nf = 0, f = 0;
    while (f < line.size() && nf < 5) {
      const size_t start = line.find_first_not_of(" \t", f);
      if (start == std::string_view::npos) break;
      const size_t end = std::min(line.find_first_of(" \t", start), line.size());
      fields[nf++] = line.substr(start, end - start);
      f = end;
    }
    if (nf < 5 || fields[1] != device || fields[4].size() != 12) continue;
    uint64_t mac = 0;
    bool ok = true;
    for (char c : fields[4]) {
      const int v = hex_value(c);
      ok = ok && v >= 0;
      mac = (mac << 4) | uint64_t(v < 0 ? 0 : v);
    }
    if (ok) out.push_back(MulticastGroup{mac, 0});
  }
  return out;
}

std::optional<std::string> read_dev_mcast() {
  const int fd = ::open("/proc/net/dev_mcast", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // One line per (device, group); 4 MiB is far beyond any real host and
  // keeps a runaway file from costing unbounded memory.
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || text.size() > (4u << 20)) break;
    text.append(buf, size_t(n));
  }
  ::close(fd);
  return text;
}

MulticastGroup address_resolution_group(const wire::InetAddress& ip) {
  using F = wire::InetAddress::Family;
  if (ip.family == F::kV4) {
    const uint32_t adi = (uint32_t(ip.ip[0]) << 24) | (uint32_t(ip.ip[1]) << 16) |
                         (uint32_t(ip.ip[2]) << 8) | ip.ip[3];
    return MulticastGroup{0xffffffffffffULL, adi};
  }
  if (ip.family == F::kV6) {
    const uint64_t mac = 0x3333ff000000ULL | (uint64_t(ip.ip[13]) << 16) |
                         (uint64_t(ip.ip[14]) << 8) | ip.ip[15];
    return MulticastGroup{mac, 0};
  }
  return MulticastGroup{};
}

std::vector<MulticastGroup> interface_groups(const std::vector<MulticastGroup>& joined,
                                             const std::vector<wire::InetAddress>& ips) {
  std::vector<MulticastGroup> g = joined;
  for (const auto& ip : ips) {
    if (!ip.is_null()) g.push_back(address_resolution_group(ip));
  }
  std::sort(g.begin(), g.end(), group_less);
  g.erase(std::unique(g.begin(), g.end()), g.end());
  return g;
}

GroupChanges diff_groups(const std::vector<MulticastGroup>& before,
                         const std::vector<MulticastGroup>& after) {
  GroupChanges c;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(c.added), group_less);
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(c.removed), group_less);
  return c;
}

}  // namespace flatnet::control::port
