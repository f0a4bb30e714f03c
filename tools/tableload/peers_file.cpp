#include "tools/tableload/peers_file.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "dataplane/ipc/synthetic.hpp"

namespace flatnet::tableload {

std::vector<PeerEntry> synthetic_entries(uint64_t seed, uint32_t n, uint16_t port_id) {
  std::vector<PeerEntry> v;
  v.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    ipc::SyntheticPeer p = ipc::synthetic_peer(seed, i);
    v.push_back({p.address, ipc::synthetic_path(p, port_id)});
  }
  return v;
}

bool parse_address(const std::string& in, uint64_t* out) {
  std::string s = in;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s = s.substr(2);
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return false;
  uint64_t a = std::stoull(s, nullptr, 16);
  if (a == 0 || (a >> 32) == 0xff) return false;
  *out = a;
  return true;
}

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool add(const std::string& addr, const std::string& path, uint16_t port_id,
         std::vector<PeerEntry>* out, std::string* why) {
  PeerEntry e{};
  if (!parse_address(trim(addr), &e.address)) {
    *why = "bad address '" + addr + "' (10 hex digits, not reserved)";
    return false;
  }
  if (!ipc::parse_phys_addr(trim(path), &e.path)) {
    *why = "bad path '" + path + "' (ip:port or [ipv6]:port)";
    return false;
  }
  e.path.port_id = port_id;
  out->push_back(e);
  return true;
}

}  // namespace

bool read_entries(const std::string& file, uint16_t port_id, std::vector<PeerEntry>* out,
                  std::string* err) {
  std::ifstream in(file);
  if (!in) {
    *err = "cannot open " + file;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::string why;
  size_t first = text.find_first_not_of(" \t\r\n");
  bool json = file.size() > 5 && file.substr(file.size() - 5) == ".json";
  if (json || (first != std::string::npos && text[first] == '[')) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      *err = file + ": not a JSON array";
      return false;
    }
    for (size_t i = 0; i < j.size(); ++i) {
      const auto& o = j[i];
      if (!o.is_object() || !o.contains("address") || !o.contains("path") ||
          !o["address"].is_string() || !o["path"].is_string()) {
        *err = file + ": element " + std::to_string(i) + " needs string keys \"address\" and \"path\"";
        return false;
      }
      if (!add(o["address"].get<std::string>(), o["path"].get<std::string>(), port_id, out, &why)) {
        *err = file + ": element " + std::to_string(i) + ": " + why;
        return false;
      }
    }
    return true;
  }
  std::istringstream lines(text);
  std::string line;
  for (size_t no = 1; std::getline(lines, line); ++no) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || (no == 1 && line.rfind("address", 0) == 0)) continue;
    size_t comma = line.find(',');
    if (comma == std::string::npos) {
      *err = file + ":" + std::to_string(no) + ": expected address,ip:port";
      return false;
    }
    if (!add(line.substr(0, comma), line.substr(comma + 1), port_id, out, &why)) {
      *err = file + ":" + std::to_string(no) + ": " + why;
      return false;
    }
  }
  return true;
}

}  // namespace flatnet::tableload
