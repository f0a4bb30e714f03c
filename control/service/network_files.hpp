// A member's networks in the home directory, as stock 1.14.1 keeps them
// (so a stock home moves to flatnet and back):
//   networks.d/<16-hex nwid>.conf        the last verified network config's
//                                        dictionary; "\n" until the first
//                                        (a joined network with no config)
//   networks.d/<16-hex nwid>.local.conf  allowManaged=1 allowGlobal=0
//                                        allowDefault=0 allowDNS=0, one per line
//                                        (+ loopGuard=0, flatnet's own, when off)
// A network is joined at start when its .conf exists. Writes go through
// write_file_atomic (files.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/service/member_api.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::service {

struct NetworkLocalConf {
  vl2::LocalSettings settings;
  // allowManaged given as a comma-separated list of prefixes (stock's
  // whitelist form): managed addresses only inside one of them.
  std::vector<wire::InetAddress> allow_managed_whitelist;
};

// The nwids with a <nwid>.conf in <home>/networks.d, sorted. Names that are
// not 16 hex digits + ".conf" are ignored (".local.conf" included).
std::vector<uint64_t> joined_networks(const std::string& home);

std::string network_conf_path(const std::string& home, uint64_t nwid);
std::string network_local_conf_path(const std::string& home, uint64_t nwid);

// The .conf's bytes; empty when missing or only the "\n" placeholder.
std::vector<uint8_t> read_network_conf(const std::string& home, uint64_t nwid);
// `bytes` empty writes the placeholder. false + *err.
bool write_network_conf(const std::string& home, uint64_t nwid, const std::vector<uint8_t>& bytes,
                        std::string* err);

// Stock's reading: key=value lines; allowManaged 1/t/T/true (<= 5
// characters) or a list of prefixes; the others 1/t/T. Missing keys keep
// stock's defaults (allowManaged on, the rest off).
NetworkLocalConf parse_network_local_conf(std::string_view text);
std::string format_network_local_conf(const vl2::LocalSettings& s);
NetworkLocalConf read_network_local_conf(const std::string& home, uint64_t nwid);
bool write_network_local_conf(const std::string& home, uint64_t nwid, const vl2::LocalSettings& s,
                              std::string* err);

// Leaving: both files go, as stock removes them.
void remove_network_files(const std::string& home, uint64_t nwid);

}  // namespace flatnet::control::service
