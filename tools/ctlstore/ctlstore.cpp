// flatnet-ctlstore: offline maintenance of a controller's store
// (<home>/controller.db): import a stock controller.d, export one back,
// back up, restore, and a summary. Run it while flatnetd is stopped, or at
// least not serving the same networks (SQLite locks keep the file itself
// consistent either way; a running controller reloads after a restore).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "control/controller/store/sqlite_store.hpp"
#include "control/controller/store/stock_dir.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;

namespace {

int usage(FILE* to) {
  std::fprintf(to,
      "usage: flatnet-ctlstore [-D<home>] <verb> [arg]\n"
      "\n"
      "The controller store <home>/controller.db (home: -D, default\n"
      "/var/lib/flatnet, as flatnetd).\n"
      "\n"
      "verbs:\n"
      "  import <controller.d>   add a stock controller.d's networks and members\n"
      "                          (revisions kept; all or nothing)\n"
      "  export <dir>            write the store as a stock controller.d under <dir>\n"
      "  backup <file>           consistent copy of the store to a new file (0600)\n"
      "  restore <file>          replace the store's content with a backup\n"
      "  show                    networks with member counts\n");
  return to == stdout ? 0 : 2;
}

int fail(const std::string& what, Status st, const std::string& err) {
  std::fprintf(stderr, "flatnet-ctlstore: %s: %s (%s)\n", what.c_str(), err.c_str(),
               status_name(st));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string home = "/var/lib/flatnet";  // flatnetd's default home
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) return usage(stdout);
    if (!std::strncmp(argv[i], "-D", 2) && argv[i][2]) home = argv[i] + 2;
    else return usage(stderr);
  }
  if (i >= argc) return usage(stderr);
  const std::string verb = argv[i++];
  const std::string arg = i < argc ? argv[i++] : "";
  const bool known = verb == "import" || verb == "export" || verb == "backup" ||
                     verb == "restore" || verb == "show";
  if (!known || i != argc || (verb != "show" && arg.empty())) return usage(stderr);

  std::string err;
  auto s = SqliteStore::open(home + "/" + kDefaultFileName, &err);
  if (!s) return fail("open", Status::kError, err);
  Status st = Status::kOk;
  if (verb == "import") {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    ImportStats stats;
    st = import_stock_dir(*s, arg,
                          std::chrono::duration_cast<std::chrono::milliseconds>(now).count(),
                          &stats, &err);
    if (st != Status::kOk) return fail("import", st, err);
    for (const auto& p : stats.skipped) std::printf("skipped (not a record name): %s\n", p.c_str());
    std::printf("imported %llu networks, %llu members\n", (unsigned long long)stats.networks,
                (unsigned long long)stats.members);
  } else if (verb == "export") {
    if ((st = export_stock_dir(*s, arg, &err)) != Status::kOk) return fail("export", st, err);
  } else if (verb == "backup") {
    if ((st = s->backup_to(arg, &err)) != Status::kOk) return fail("backup", st, err);
  } else if (verb == "restore") {
    if ((st = s->restore_from(arg, &err)) != Status::kOk) return fail("restore", st, err);
  } else if (verb == "show") {
    std::vector<uint64_t> ids;
    if ((st = s->list_networks(ids, &err)) != Status::kOk) return fail("show", st, err);
    for (uint64_t id : ids) {
      MemberCounts c;
      Network n;
      if ((st = s->get_network(id, n, &err)) != Status::kOk ||
          (st = s->count_members(id, c, &err)) != Status::kOk)
        return fail("show", st, err);
      std::printf("%s %-24s members %llu authorized %llu revision %llu\n",
                  format_network_id(id).c_str(), n.name.c_str(), (unsigned long long)c.total,
                  (unsigned long long)c.authorized, (unsigned long long)n.revision);
    }
  } else {
    return usage(stderr);
  }
  return 0;
}
