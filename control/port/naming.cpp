// Tap naming and the devicemap file. See naming.hpp for the rules.
#include "control/port/naming.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace flatnet::control::port {

std::string tap_name(uint64_t nwid, uint64_t trial) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  const uint64_t v = ((nwid ^ (nwid >> 24)) + trial) & 0xffffffffffULL;
  std::string s = "zt";
  // 40 bits are exactly eight 5-bit groups, most significant first.
  for (int i = 7; i >= 0; --i) s += kAlphabet[(v >> (5 * i)) & 0x1f];
  return s;
}

bool valid_ifname(std::string_view name) {
  if (name.empty() || name.size() > kMaxIfNameLen || name == "." || name == "..") return false;
  for (char c : name) {
    // '%' would make the kernel fill in a number ("zt%d").
    if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '%') return false;
  }
  return true;
}

std::string nwid_hex(uint64_t nwid) {
  char b[17];
  std::snprintf(b, sizeof b, "%.16llx", static_cast<unsigned long long>(nwid));
  return b;
}

DeviceMap parse_devicemap(std::string_view text) {
  DeviceMap map;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    std::vector<std::string_view> fields;
    size_t f = 0;
    while (f < line.size() && fields.size() < 2) {
      const size_t end = line.find_first_of("\r=", f);
      const size_t stop = end == std::string_view::npos ? line.size() : end;
      if (stop > f) fields.push_back(line.substr(f, stop - f));
      f = stop + 1;
    }
    if (fields.size() == 2) map[std::string(fields[0])] = std::string(fields[1]);
  }
  return map;
}

std::string format_devicemap(const DeviceMap& map) {
  std::string out;
  for (const auto& [nwid, name] : map) out += nwid + "=" + name + "\n";
  return out;
}

std::optional<DeviceMap> read_devicemap(const std::string& home, std::string* err) {
  const std::string path = home + "/devicemap";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return DeviceMap{};
    if (err) *err = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  // A devicemap is a few lines; refuse to parse something that is not one.
  static constexpr size_t kMax = 1u << 20;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || text.size() + size_t(n) > kMax) {
      if (err) *err = path + (n < 0 ? ": " + std::string(std::strerror(errno)) : ": larger than 1 MiB");
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, size_t(n));
  }
  ::close(fd);
  return parse_devicemap(text);
}

bool write_devicemap(const std::string& home, const DeviceMap& map, std::string* err) {
  const std::string path = home + "/devicemap";
  const std::string tmp = path + ".tmp";
  const std::string text = format_devicemap(map);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (err) *err = tmp + ": " + std::strerror(errno);
    return false;
  }
  const ssize_t n = ::write(fd, text.data(), text.size());
  const bool ok = n == ssize_t(text.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (err) *err = path + ": " + std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::string choose_tap_name(uint64_t nwid, const DeviceMap& map,
                            const std::function<bool(const std::string&)>& exists,
                            const DepartingTaps& departing) {
  auto taken = [&](const std::string& name) { return !departing.count(name) && exists(name); };
  const auto it = map.find(nwid_hex(nwid));
  if (it != map.end() && valid_ifname(it->second) && !taken(it->second)) return it->second;
  for (uint64_t trial = 0; trial < 256; ++trial) {
    std::string name = tap_name(nwid, trial);
    if (!taken(name)) return name;
  }
  return {};
}

bool wait_device_gone(const std::string& name, std::chrono::milliseconds budget,
                      const std::function<bool(const std::string&)>& exists) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    if (!exists(name)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool device_exists(const std::string& name) {
  return valid_ifname(name) && ::if_nametoindex(name.c_str()) != 0;
}

}  // namespace flatnet::control::port
