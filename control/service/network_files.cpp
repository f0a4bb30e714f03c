// networks.d as stock keeps it (see network_files.hpp).
#include "control/service/network_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "control/port/naming.hpp"
#include "control/service/files.hpp"

namespace flatnet::control::service {

namespace {

std::optional<uint64_t> parse_nwid(std::string_view s) {
  if (s.size() != 16 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
    return std::nullopt;
  return std::stoull(std::string(s), nullptr, 16);
}

bool truthy(std::string_view v) { return !v.empty() && (v[0] == '1' || v[0] == 't' || v[0] == 'T'); }

std::string dir_of(const std::string& home) { return home + "/networks.d"; }

}  // namespace

std::string network_conf_path(const std::string& home, uint64_t nwid) {
  return dir_of(home) + "/" + port::nwid_hex(nwid) + ".conf";
}
std::string network_local_conf_path(const std::string& home, uint64_t nwid) {
  return dir_of(home) + "/" + port::nwid_hex(nwid) + ".local.conf";
}

std::vector<uint64_t> joined_networks(const std::string& home) {
  namespace fs = std::filesystem;
  std::vector<uint64_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_of(home), ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 21 || name.substr(16) != ".conf") continue;
    if (auto id = parse_nwid(std::string_view(name).substr(0, 16)); id && *id) out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_network_conf(const std::string& home, uint64_t nwid) {
  std::string text;
  if (read_whole_file(network_conf_path(home, nwid), text) != 0) return {};
  if (text.find_first_not_of("\r\n") == std::string::npos) return {};
  return std::vector<uint8_t>(text.begin(), text.end());
}

bool write_network_conf(const std::string& home, uint64_t nwid, const std::vector<uint8_t>& bytes,
                        std::string* err) {
  std::error_code ec;
  std::filesystem::create_directories(dir_of(home), ec);
  const std::string data = bytes.empty() ? std::string("\n") : std::string(bytes.begin(), bytes.end());
  std::string why;
  const bool ok = write_file_atomic(network_conf_path(home, nwid), data, 0644, &why);
  if (!ok && err) *err = why;
  return ok;
}

NetworkLocalConf parse_network_local_conf(std::string_view text) {
  NetworkLocalConf out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "allowManaged") {
      if (v.size() <= 5) {
        out.settings.allow_managed = truthy(v);
      } else {
        out.settings.allow_managed = true;
        size_t p = 0;
        while (p <= v.size()) {
          size_t c = std::min(v.find(',', p), v.size());
          if (auto a = wire::InetAddress::from_string(v.substr(p, c - p)))
            out.allow_managed_whitelist.push_back(*a);
          p = c + 1;
        }
      }
    } else if (k == "allowGlobal") {
      out.settings.allow_global = truthy(v);
    } else if (k == "allowDefault") {
      out.settings.allow_default = truthy(v);
    } else if (k == "allowDNS") {
      out.settings.allow_dns = truthy(v);
    } else if (k == "loopGuard") {
      out.settings.loop_guard = truthy(v);
    }
  }
  return out;
}

std::string format_network_local_conf(const vl2::LocalSettings& s) {
  return std::string("allowManaged=") + (s.allow_managed ? "1" : "0") + "\nallowGlobal=" +
         (s.allow_global ? "1" : "0") + "\nallowDefault=" + (s.allow_default ? "1" : "0") +
         "\nallowDNS=" + (s.allow_dns ? "1" : "0") + "\n" +
         (s.loop_guard ? "" : "loopGuard=0\n");  // flatnet's own key, only when off (stock ignores it)
}

NetworkLocalConf read_network_local_conf(const std::string& home, uint64_t nwid) {
  std::string text;
  if (read_whole_file(network_local_conf_path(home, nwid), text, 65536) != 0) return {};
  return parse_network_local_conf(text);
}

bool write_network_local_conf(const std::string& home, uint64_t nwid, const vl2::LocalSettings& s,
                              std::string* err) {
  std::error_code ec;
  std::filesystem::create_directories(dir_of(home), ec);
  std::string why;
  const bool ok =
      write_file_atomic(network_local_conf_path(home, nwid), format_network_local_conf(s), 0644, &why);
  if (!ok && err) *err = why;
  return ok;
}

void remove_network_files(const std::string& home, uint64_t nwid) {
  std::error_code ec;
  std::filesystem::remove(network_conf_path(home, nwid), ec);
  std::filesystem::remove(network_local_conf_path(home, nwid), ec);
}

}  // namespace flatnet::control::service
