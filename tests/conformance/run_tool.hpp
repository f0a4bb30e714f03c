// Runs flatnet-idtool (path in $FLATNET_IDTOOL, set by meson) and captures
// its stdout and exit status, so the conformance suite checks the tool's
// real command-line behaviour, not just the library under it.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace flatnet::conformance {

struct ToolResult {
  int status = -1;
  std::string out;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `args` are already quoted. `cwd` (if non-empty) is where the tool runs.
inline ToolResult run_idtool(const std::string& args, const std::string& cwd = {}) {
  ToolResult r;
  const char* exe = std::getenv("FLATNET_IDTOOL");
  if (!exe) return r;
  std::string cmd;
  if (!cwd.empty()) cmd = "cd " + shell_quote(cwd) + " && ";
  cmd += shell_quote(exe) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0 && r.out.size() < (1u << 20)) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace flatnet::conformance
