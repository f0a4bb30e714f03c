// What a config needs to know about a network's other members, kept in
// memory so one request does not scan a 100,000-member network: the
// addresses they hold (stock's allocatedIps) and the authorized active
// bridges (stock's activeBridges). Loaded from the store in pages of
// kIndexPageMembers, a bounded number per call, so loading a large network
// never stalls the daemon's loop for long; updated from each member record
// the controller writes or the journal reports, also while loading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/controller/ip_assign.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::controller {

inline constexpr std::size_t kIndexPageMembers = 1000;

class NetworkIndex {
 public:
  struct Entry {
    IpIndex ips;
    std::set<uint64_t> bridges;  // authorized active bridges
  };

  explicit NetworkIndex(store::Store& s) : store_(s) {}
  // The network's entry once fully loaded. Until then each call loads at
  // most `pages` more pages and returns nullptr if that did not finish it;
  // *failed is set when the store failed.
  const Entry* get(uint64_t nwid, unsigned pages, bool* failed, std::string* err);
  bool loading() const;
  // Continues every partly loaded network, at most `pages` pages in all.
  void step(unsigned pages, std::string* err);
  // A member record as now stored, or deleted; ignored for networks not loaded.
  void update(const Member& m);
  void remove(uint64_t nwid, uint64_t address);
  void forget(uint64_t nwid);  // the network was deleted
  void clear() { nets_.clear(); }

 private:
  struct State {
    Entry e;
    uint64_t after = 0;     // next page starts after this address
    bool complete = false;
  };
  static void apply(Entry& e, const Member& m);
  // Loads up to `pages` pages; false on a store error.
  bool load(uint64_t nwid, State& st, unsigned pages, std::string* err);
  store::Store& store_;
  std::unordered_map<uint64_t, State> nets_;
};

}  // namespace flatnet::control::controller
