// What flatnet-cli and flatnet-controller share: the switches that say
// where the service is (-D home, -H address, -p port, -T token, -j), how a
// missing token and port are found in the home directory, one request to
// the local API, and the messages for "not reachable" and "token refused".
#pragma once

#include <string>

namespace flatnet::tools::ctl {

struct ApiOptions {
  std::string home = "/var/lib/flatnet";
  std::string host = "127.0.0.1";
  int port = 0;  // 0: <home>/flatnet.port, else 9993
  std::string token;
  bool json_out = false;
};

// Applies one of the shared switches "-j", "-p<port>", "-T<token>",
// "-D<home>", "-H<ip>" (`arg` is the whole argument). Returns 1 if it was
// one and taken, 0 if it is not one of them, -1 (message printed) if its
// value is bad.
int take_switch(const std::string& arg, ApiOptions& o);

// Fills a missing token from <home>/authtoken.secret and a missing port
// from <home>/flatnet.port (else 9993). False (message naming `verb`
// printed) when there is no token.
bool resolve(ApiOptions& o, const std::string& verb);

struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
  std::string error;
};

// One request with the X-ZT1-Auth token; `method` is GET, DELETE or POST
// (a JSON body).
Reply call(const ApiOptions& o, const std::string& method, const std::string& path,
           const std::string& body, int read_timeout_s);

// For a reply without an answer (status 0) or a 401, prints what the user
// should check and returns true; other statuses are the caller's to print.
bool explain_failure(const Reply& r, const std::string& verb, const ApiOptions& o);

}  // namespace flatnet::tools::ctl
