// What a config needs to know about a network's other members, kept in
// memory so one request does not scan a 100,000-member network: the
// addresses they hold (stock's allocatedIps) and the authorized active
// bridges (stock's activeBridges). Loaded from the store on first use per
// network, then updated from each member record the controller writes or
// the journal reports.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/controller/ip_assign.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::controller {

class NetworkIndex {
 public:
  struct Entry {
    IpIndex ips;
    std::set<uint64_t> bridges;  // authorized active bridges
  };

  explicit NetworkIndex(store::Store& s) : store_(s) {}
  // The network's entry, loading it on first use; nullptr if the store fails.
  const Entry* get(uint64_t nwid, std::string* err);
  // A member record as now stored, or deleted; ignored for networks not loaded.
  void update(const Member& m);
  void remove(uint64_t nwid, uint64_t address);
  void forget(uint64_t nwid);  // the network was deleted, or the journal has a gap
  void clear() { nets_.clear(); }

 private:
  static void apply(Entry& e, const Member& m);
  store::Store& store_;
  std::unordered_map<uint64_t, Entry> nets_;
};

}  // namespace flatnet::control::controller
