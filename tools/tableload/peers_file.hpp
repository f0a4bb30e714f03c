// Peer lists for flatnet-tableload: synthetic (seed) or read from a file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/ipc/abi.h"

namespace flatnet::tableload {

struct PeerEntry {
  uint64_t address;
  flatnet_ipc_phys_addr path;
};

// n synthetic peers of seed (dataplane/ipc/synthetic.hpp), all on port_id.
std::vector<PeerEntry> synthetic_entries(uint64_t seed, uint32_t n, uint16_t port_id);

// A CSV ("address,ip:port" per line, '#' comments, optional header line
// "address,path") or a JSON array of {"address": "89e92ceee5", "path":
// "1.2.3.4:9993"}, chosen by the file extension (.json) or first byte '['.
// false + *err naming the line / element on bad input.
bool read_entries(const std::string& file, uint16_t port_id, std::vector<PeerEntry>* out,
                  std::string* err);

// "89e92ceee5" (10 hex digits, optional 0x) -> address; false if reserved/bad.
bool parse_address(const std::string& s, uint64_t* out);

}  // namespace flatnet::tableload
