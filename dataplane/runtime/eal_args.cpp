#include "dataplane/runtime/eal_args.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace flatnet::runtime {

namespace {

bool has_opt(const std::vector<std::string>& a, std::initializer_list<const char*> names) {
  for (const auto& s : a)
    for (const char* n : names) {
      std::string ns(n);
      if (s == ns || s.rfind(ns + "=", 0) == 0) return true;
    }
  return false;
}

}  // namespace

HostFacts probe_host() {
  HostFacts h;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  h.cpus = n > 0 ? unsigned(n) : 1;
  std::ifstream mi("/proc/meminfo");
  std::string line;
  uint64_t free_pages = 0, page_kb = 0;
  while (std::getline(mi, line)) {
    std::istringstream ls(line);
    std::string key;
    uint64_t v = 0;
    ls >> key >> v;
    if (key == "HugePages_Free:") free_pages = v;
    if (key == "Hugepagesize:") page_kb = v;
  }
  h.free_hugepage_mb = free_pages * page_kb / 1024;
  std::ifstream mounts("/proc/mounts");
  while (std::getline(mounts, line))
    if (line.find(" hugetlbfs ") != std::string::npos) h.hugetlbfs_mounted = true;
  return h;
}

std::string port_name(const std::string& devargs) { return devargs.substr(0, devargs.find(',')); }

std::vector<std::string> build_eal_args(const Config& c, const std::vector<std::string>& user,
                                        const HostFacts& host) {
  std::vector<std::string> a = {"flatnet-dataplane"};
  std::vector<std::string> all = c.eal;
  all.insert(all.end(), user.begin(), user.end());
  if (!has_opt(all, {"--file-prefix"})) a.push_back("--file-prefix=flatnet-" + c.instance);
  bool no_huge = has_opt(all, {"--no-huge"});
  if (!has_opt(all, {"-m", "--socket-mem"})) {
    a.push_back("-m");
    a.push_back(std::to_string(c.memory_mb));
  }
  bool in_memory = has_opt(all, {"--in-memory"});
  if (!no_huge) {
    if (host.free_hugepage_mb >= c.memory_mb) {
      // Hugepages without a hugetlbfs mount: --in-memory maps them by memfd.
      if (!host.hugetlbfs_mounted && !in_memory) {
        a.push_back("--in-memory");
      } else if (!in_memory && !has_opt(all, {"--huge-unlink"})) {
        // No DPDK secondary ever attaches (control is an ordinary process):
        // unlink the page files at once so a crash cannot strand hugepages.
        a.push_back("--huge-unlink");
      }
    } else if (!in_memory) {
      // Too few hugepages: ordinary memory. DPDK 22.11 refuses --in-memory
      // together with --no-huge; the file prefix keeps instances apart.
      a.push_back("--no-huge");
    }
  }
  if (!has_opt(all, {"-l", "-c", "--lcores"})) {
    unsigned n = c.workers + 1;  // main lcore + workers
    if (n <= host.cpus) {
      a.push_back("-l");
      a.push_back(n == 1 ? "0" : "0-" + std::to_string(n - 1));
    } else {
      // More lcores than CPUs (tests on small machines): map them onto the CPUs.
      a.push_back("--lcores=(0-" + std::to_string(n - 1) + ")@(0-" + std::to_string(host.cpus - 1) + ")");
    }
  }
  bool pci = false;
  for (const auto& p : c.ports) {
    if (p.devargs.rfind("net_", 0) == 0) {
      a.push_back("--vdev=" + p.devargs);
    } else {
      a.push_back("-a");
      a.push_back(p.devargs);
      pci = true;
    }
  }
  if (!pci && !has_opt(all, {"-a", "--allow", "-b", "--block", "--no-pci"})) a.push_back("--no-pci");
  a.insert(a.end(), all.begin(), all.end());
  return a;
}

}  // namespace flatnet::runtime
