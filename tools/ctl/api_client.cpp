// See api_client.hpp.
#include "api_client.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <httplib.h>

namespace flatnet::tools::ctl {

namespace {

std::string trimmed_file(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!f || !std::getline(f, s)) return {};
  while (!s.empty() && std::isspace((unsigned char)s.back())) s.pop_back();
  return s;
}

}  // namespace

int take_switch(const std::string& a, ApiOptions& o) {
  if (a.size() < 2 || a[0] != '-') return 0;
  const std::string v = a.substr(2);
  switch (a[1]) {
    case 'j': o.json_out = true; return 1;
    case 'p':
      o.port = std::atoi(v.c_str());
      if (o.port <= 0 || o.port > 65535) {
        std::fprintf(stderr, "bad port: %s\n", a.c_str());
        return -1;
      }
      return 1;
    case 'T': o.token = v; return 1;
    case 'D': o.home = v; return 1;
    case 'H': o.host = v; return 1;
    default: return 0;
  }
}

bool resolve(ApiOptions& o, const std::string& verb) {
  if (o.token.empty()) o.token = trimmed_file(o.home + "/authtoken.secret");
  if (o.token.empty()) {
    std::fprintf(stderr, "%s: no auth token: use -T<token> or make %s/authtoken.secret readable\n",
                 verb.c_str(), o.home.c_str());
    return false;
  }
  if (o.port == 0) {
    o.port = std::atoi(trimmed_file(o.home + "/flatnet.port").c_str());
    if (o.port <= 0 || o.port > 65535) o.port = 9993;
  }
  return true;
}

Reply call(const ApiOptions& o, const std::string& method, const std::string& path,
           const std::string& body, int read_timeout_s) {
  httplib::Client cli(o.host, o.port);
  cli.set_connection_timeout(3);
  cli.set_read_timeout(read_timeout_s);
  cli.set_write_timeout(10);
  httplib::Headers h{{"X-ZT1-Auth", o.token}};
  httplib::Result r = method == "GET"      ? cli.Get(path, h)
                      : method == "DELETE" ? cli.Delete(path, h)
                                           : cli.Post(path, h, body, "application/json");
  Reply out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}

bool explain_failure(const Reply& r, const std::string& verb, const ApiOptions& o) {
  if (r.status == 0) {
    std::fprintf(stderr,
                 "%s: cannot reach the flatnet service at %s port %d (%s error); is flatnetd running?\n",
                 verb.c_str(), o.host.c_str(), o.port, r.error.c_str());
    return true;
  }
  if (r.status == 401) {
    std::fprintf(stderr, "%s: the service refused the auth token (check -T or %s/authtoken.secret)\n",
                 verb.c_str(), o.home.c_str());
    return true;
  }
  return false;
}

}  // namespace flatnet::tools::ctl
