// flatnet-cli's network verbs, as zerotier-cli 1.14.1 has them: join,
// leave, listnetworks, get <nwid> <key>, set <nwid> key=value. The request
// for a verb, and its output from the service's 200 answer (other statuses
// are printed by flatnet-cli as "<status> <verb> <body>", as stock).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace flatnet::tools::ctl {

struct NetworkRequest {
  std::string method;  // GET, POST, DELETE
  std::string path;
  std::string body;
};

bool is_network_verb(const std::string& verb);
// The request for args[0] = verb; nullopt with *rc (2) and a message when
// the arguments are bad.
std::optional<NetworkRequest> network_request(const std::vector<std::string>& args, int* rc);
// Prints the answer the way zerotier-cli does; returns the exit code.
int network_output(const std::vector<std::string>& args, const std::string& body, bool json_out);

}  // namespace flatnet::tools::ctl
