// flatnet-controller (`flatnet controller <verb>`): the network controller's
// verbs over flatnetd's /controller API (docs/controller-api.md) -- create,
// list, show, authorize, deauthorize, delete, set -- with -j for the JSON
// the API answered. Switches as flatnet-cli's. Exit codes: 0 ok, 1 the
// service answered non-200 or could not be reached, 2 bad arguments.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api_client.hpp"

namespace {

using nlohmann::json;

using flatnet::tools::ctl::ApiOptions;
using flatnet::tools::ctl::Reply;

void usage(FILE* to) {
  std::fprintf(to,
      "usage: flatnet controller [-switches] <verb> [args]\n"
      "\n"
      "switches (as flatnet-cli's):\n"
      "  -h, -?        this help\n"
      "  -j            print the JSON the service answered\n"
      "  -p<port>      API port (default: <home>/flatnet.port, else 9993)\n"
      "  -T<token>     auth token (default: <home>/authtoken.secret)\n"
      "  -D<home>      home directory (default /var/lib/flatnet)\n"
      "  -H<ip>        API address (default 127.0.0.1)\n"
      "\n"
      "verbs (<nwid>: 16 hex digits, <member>: 10 hex digits):\n"
      "  create [key=value...]               new network (random ID); prints its ID\n"
      "  list                                networks with member counts\n"
      "  show <nwid> [<member>]              a network and its members, or one member\n"
      "  authorize <nwid> <member>           admit a member (creates it if new)\n"
      "  deauthorize <nwid> <member>         revoke a member\n"
      "  delete <nwid> [<member>]            delete a network (and its members), or a member\n"
      "  set <nwid> [<member>] key=value...  change fields, e.g. name=office private=false\n"
      "                                      mtu=1400 'ipAssignmentPools=[{...}]'; a value that\n"
      "                                      parses as JSON is sent as JSON, else as a string\n");
}

bool is_hex(const std::string& s, size_t digits) {
  return s.size() == digits && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

int fail(const Reply& r, const std::string& verb, const ApiOptions& o) {
  if (flatnet::tools::ctl::explain_failure(r, verb, o)) return 1;
  if (r.status == 404)
    std::fprintf(stderr, "%s: no such network or member\n", verb.c_str());
  else
    std::fprintf(stderr, "%s: the service answered %d %s\n", verb.c_str(), r.status, r.body.c_str());
  return 1;
}

// key=value pairs -> a JSON object; a value that is valid JSON is taken as
// such ("false", "1400", "[...]"), anything else as a string.
bool fields(const std::vector<std::string>& kv, json& out) {
  out = json::object();
  for (const auto& a : kv) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "set: expected key=value, got '%s'\n", a.c_str());
      return false;
    }
    const std::string v = a.substr(eq + 1);
    json parsed = json::parse(v, nullptr, false);
    out[a.substr(0, eq)] = parsed.is_discarded() ? json(v) : parsed;
  }
  return true;
}

std::string text(const json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string joined(const json& a) {
  if (!a.is_array() || a.empty()) return "-";
  std::string s;
  for (const auto& e : a) s += (s.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
  return s;
}

void print_member_line(const json& m) {
  std::printf("%-10s %-11s %-30s %s\n", text(m, "id").c_str(),
              m.value("authorized", false) ? "authorized" : "-",
              joined(m.value("ipAssignments", json::array())).c_str(), text(m, "name").c_str());
}

void print_network(const json& n, const json& members) {
  std::printf("network     %s\n", text(n, "id").c_str());
  std::printf("name        %s\n", text(n, "name").c_str());
  std::printf("access      %s\n", n.value("private", true) ? "private" : "public");
  std::printf("mtu         %s\n", text(n, "mtu").c_str());
  std::string routes;
  for (const auto& r : n.value("routes", json::array()))
    routes += (routes.empty() ? "" : ",") + text(r, "target") +
              (r.value("via", json()).is_string() ? " via " + text(r, "via") : "");
  std::printf("routes      %s\n", routes.empty() ? "-" : routes.c_str());
  std::string pools;
  for (const auto& p : n.value("ipAssignmentPools", json::array()))
    pools += (pools.empty() ? "" : ",") + text(p, "ipRangeStart") + "-" + text(p, "ipRangeEnd");
  std::printf("pools       %s\n", pools.empty() ? "-" : pools.c_str());
  std::printf("v4 assign   %s\n", n.value("v4AssignMode", json::object()).dump().c_str());
  std::printf("v6 assign   %s\n", n.value("v6AssignMode", json::object()).dump().c_str());
  std::printf("rules       %zu\n", n.value("rules", json::array()).size());
  const json& data = members.value("data", json::array());
  std::printf("members     %zu (%s authorized)\n", data.size(),
              text(members.value("meta", json::object()), "authorizedCount").c_str());
  for (const auto& m : data) print_member_line(m);
}

void print_member(const json& m) {
  for (const char* k : {"id", "nwid", "name", "authorized", "activeBridge", "noAutoAssignIps",
                        "identity", "lastAuthorizedTime", "lastDeauthorizedTime"})
    std::printf("%-20s %s\n", k, text(m, k).c_str());
  std::printf("%-20s %s\n", "ipAssignments", joined(m.value("ipAssignments", json::array())).c_str());
  std::printf("%-20s %s\n", "tags", m.value("tags", json::array()).dump().c_str());
  std::printf("%-20s %s\n", "capabilities", m.value("capabilities", json::array()).dump().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  ApiOptions o;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (args.empty() && a.size() >= 2 && a[0] == '-' && a != "--") {
      if (a[1] == 'h' || a[1] == '?') { usage(stdout); return 0; }
      if (a[1] == '-') { usage(a == "--help" ? stdout : stderr); return a == "--help" ? 0 : 2; }
      const int taken = flatnet::tools::ctl::take_switch(a, o);
      if (taken < 0) return 2;
      if (taken == 0) { std::fprintf(stderr, "unknown switch %s\n", a.c_str()); usage(stderr); return 2; }
      continue;
    }
    args.push_back(a);
  }
  if (args.empty()) { usage(stderr); return 2; }
  const std::string verb = args[0];
  const size_t n = args.size();
  const bool nw = n >= 2 && is_hex(args[1], 16);
  const bool mem = n >= 3 && is_hex(args[2], 10);
  const std::string net_path = nw ? "/controller/network/" + args[1] : "";
  const std::string mem_path = mem ? net_path + "/member/" + args[2] : "";

  std::string method = "GET", path, body;
  if (verb == "create") {
    json f;
    if (!fields({args.begin() + 1, args.end()}, f)) return 2;
    method = "POST", path = "/controller/network", body = f.dump();
  } else if (verb == "list" && n == 1) {
    path = "/unstable/controller/network";
  } else if (verb == "show" && nw && (n == 2 || (n == 3 && mem))) {
    path = mem ? mem_path : net_path;
  } else if ((verb == "authorize" || verb == "deauthorize") && n == 3 && nw && mem) {
    method = "POST", path = mem_path, body = json{{"authorized", verb == "authorize"}}.dump();
  } else if (verb == "delete" && nw && (n == 2 || (n == 3 && mem))) {
    method = "DELETE", path = mem ? mem_path : net_path;
  } else if (verb == "set" && nw && n >= 3) {
    json f;
    if (!fields({args.begin() + (mem ? 3 : 2), args.end()}, f)) return 2;
    if (f.empty()) { usage(stderr); return 2; }
    method = "POST", path = mem ? mem_path : net_path, body = f.dump();
  } else {
    usage(stderr);
    return 2;
  }

  if (!flatnet::tools::ctl::resolve(o, verb)) return 2;

  const Reply r = flatnet::tools::ctl::call(o, method, path, body, 30);
  if (r.status != 200) return fail(r, verb, o);
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "%s: the service answered with something that is not JSON\n", verb.c_str());
    return 1;
  }
  // `show <nwid>` also wants the members: one more request.
  json members = json::object();
  if (verb == "show" && !mem) {
    const Reply m = flatnet::tools::ctl::call(o, "GET", "/unstable" + net_path + "/member", {}, 30);
    if (m.status != 200) return fail(m, verb, o);
    members = json::parse(m.body, nullptr, false);
    if (members.is_discarded()) members = json::object();
  }
  if (o.json_out) {
    json out = j;
    if (verb == "show" && !mem) out = json{{"network", j}, {"members", members.value("data", json::array())}};
    std::printf("%s\n", out.dump(1).c_str());
    return 0;
  }
  if (verb == "create") {
    std::printf("%s\n", text(j, "id").c_str());
  } else if (verb == "list") {
    std::printf("%-16s %-8s %9s %12s  %s\n", "<nwid>", "<access>", "<members>", "<authorized>", "<name>");
    for (const auto& x : j.value("data", json::array())) {
      const json meta = x.value("meta", json::object());
      std::printf("%-16s %-8s %9s %12s  %s\n", text(x, "id").c_str(),
                  x.value("private", true) ? "private" : "public", text(meta, "totalMemberCount").c_str(),
                  text(meta, "authorizedMemberCount").c_str(), text(x, "name").c_str());
    }
  } else if (verb == "show") {
    if (mem) print_member(j);
    else print_network(j, members);
  } else if (verb == "authorize" || verb == "deauthorize" || (verb == "set" && mem)) {
    print_member_line(j);
  } else if (verb == "delete") {
    std::printf("deleted %s\n", text(j, "id").c_str());
  } else {
    std::printf("%s updated\n", text(j, "id").c_str());
  }
  return 0;
}
