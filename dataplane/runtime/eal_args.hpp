// Builds the EAL argument vector: the user's EAL arguments pass through
// untouched; what they leave out is filled in so that every instance is
// self-contained: its own --file-prefix, a memory cap (-m), hugepages when
// enough are free (through --in-memory, which needs no hugetlbfs mount, when
// none is mounted), --no-huge when not, lcores for the workers, and one
// --vdev (or -a) per configured port.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/runtime/config.hpp"

namespace flatnet::runtime {

struct HostFacts {
  unsigned cpus = 1;
  uint64_t free_hugepage_mb = 0;
  bool hugetlbfs_mounted = false;
};

HostFacts probe_host();

std::vector<std::string> build_eal_args(const Config& c, const std::vector<std::string>& user,
                                        const HostFacts& host);

// The ethdev name a port's devargs creates ("net_af_packet0,iface=x" ->
// "net_af_packet0"; a PCI address stays as it is).
std::string port_name(const std::string& devargs);

}  // namespace flatnet::runtime
