// `flatnet <command> [<sub>] [args...]`: runs the sibling program
// `flatnet-<command>-<sub>` if there is one, else `flatnet-<command>`
// (git-style), looked up first next to this binary, then on PATH. Each
// command is its own small program so that, for example, the identity tool
// links no DPDK and the packet generator links no HTTP client.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

void usage(FILE* to) {
  std::fprintf(to,
      "usage: flatnet <command> [args...]\n"
      "\n"
      "commands:\n"
      "  idtool   identities, signatures, moons (zerotier-idtool verbs)\n"
      "  bench    benchmarks: `flatnet bench crypto|mb|relay`\n"
      "  pktgen   DPDK VL1 packet generator\n"
      "  controller create|list|show|authorize|deauthorize|delete|set\n"
      "           the node's network controller (/controller API, via flatnet-controller)\n"
      "  [-D<home>] [-p<port>] [-j] info, listpeers, peers, listmoons, orbit, deorbit, ping,\n"
      "           listnetworks, join, leave, get, set\n"
      "           the running service's state (zerotier-cli verbs and options, via flatnet-cli)\n"
      "\n"
      "`flatnet <command> --help` describes a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  std::error_code ec;
  const auto self_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  // In a meson build tree each tool sits in its own folder; find the tree's
  // root (the folder holding meson-private) so `build/tools/cli/flatnet idtool`
  // works before installation too.
  std::filesystem::path build_root;
  for (auto d = self_dir; !ec && !d.empty() && d != d.root_path(); d = d.parent_path()) {
    if (std::filesystem::exists(d / "meson-private")) { build_root = d; break; }
  }
  auto sibling = [&](const std::string& name) -> std::filesystem::path {
    if (ec) return {};
    if (auto p = self_dir / name; std::filesystem::exists(p)) return p;
    if (build_root.empty()) return {};
    const auto tools = build_root / "tools";
    std::error_code walk_ec;
    for (std::filesystem::recursive_directory_iterator it(tools, walk_ec), end; !walk_ec && it != end;
         it.increment(walk_ec)) {
      if (it.depth() > 3) { it.disable_recursion_pending(); continue; }
      if (it->path().filename() == name && it->is_regular_file()) return it->path();
    }
    // The data plane and its helpers live outside tools/.
    for (const char* dir : {"dataplane", "dataplane/runtime", "control"}) {
      if (auto p = build_root / dir / name; std::filesystem::exists(p)) return p;
    }
    return {};
  };

  // zerotier-cli's verbs are all one program: `flatnet info` runs
  // `flatnet-cli info`.
  static const char* const kCliVerbs[] = {"info",  "listpeers",    "peers", "listmoons",
                                          "orbit", "deorbit",      "ping",  "listnetworks",
                                          "join",  "leave",        "get",   "set"};
  bool cli_verb = false;
  for (const char* v : kCliVerbs) cli_verb |= !std::strcmp(argv[1], v);
  // zerotier-cli's options come before its verb (`zerotier-cli -D<home> -j
  // listpeers`): a leading -D/-p/-H/-T/-j is flatnet-cli's too.
  cli_verb |= argv[1][0] == '-' && std::strchr("DpHTj", argv[1][1]) && argv[1][1] != '\0';

  // Installed elsewhere than this binary: look the program up on PATH.
  auto on_path = [](const std::string& name) {
    const char* path = std::getenv("PATH");
    if (!path) return false;
    std::string dirs(path);
    for (size_t start = 0; start <= dirs.size();) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string dir = dirs.substr(start, end - start);
      if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
      start = end + 1;
    }
    return false;
  };

  // Two-word commands ("bench crypto") map to their own program when it exists.
  std::string prog = std::string("flatnet-") + (cli_verb ? "cli" : argv[1]);
  int first_arg = cli_verb ? 1 : 2;
  if (!cli_verb && argc >= 3 && argv[2][0] != '-') {
    std::string two = prog + "-" + argv[2];
    if (!sibling(two).empty() || on_path(two)) { prog = two; first_arg = 3; }
  }
  std::vector<char*> args;
  args.push_back(const_cast<char*>(prog.c_str()));
  for (int i = first_arg; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);

  if (auto p = sibling(prog); !p.empty()) {
    execv(p.c_str(), args.data());
    std::fprintf(stderr, "flatnet: cannot run %s: %s\n", p.c_str(), std::strerror(errno));
    return 127;
  }
  execvp(prog.c_str(), args.data());
  std::fprintf(stderr, "flatnet: unknown command '%s' (no %s found)\n", argv[1], prog.c_str());
  usage(stderr);
  return 127;
}
