#include "control/controller/network_index.hpp"

namespace flatnet::control::controller {

void NetworkIndex::apply(Entry& e, const Member& m) {
  e.ips.set_member(m.address, m.ip_assignments);
  if (m.authorized && m.active_bridge) e.bridges.insert(m.address);
  else e.bridges.erase(m.address);
}

bool NetworkIndex::load(uint64_t nwid, State& st, unsigned pages, std::string* err) {
  for (unsigned p = 0; p < pages && !st.complete; ++p) {
    store::MemberPage page;
    if (store_.list_members(nwid, st.after, kIndexPageMembers, page, err) != store::Status::kOk)
      return false;
    for (const Member& m : page.members) apply(st.e, m);
    if (page.next_after) st.after = *page.next_after;
    else st.complete = true;
  }
  return true;
}

const NetworkIndex::Entry* NetworkIndex::get(uint64_t nwid, unsigned pages, bool* failed,
                                             std::string* err) {
  *failed = false;
  State& st = nets_[nwid];
  if (!st.complete && !load(nwid, st, pages, err)) {
    *failed = true;
    return nullptr;
  }
  return st.complete ? &st.e : nullptr;
}

bool NetworkIndex::loading() const {
  for (const auto& [nwid, st] : nets_)
    if (!st.complete) return true;
  return false;
}

void NetworkIndex::step(unsigned pages, std::string* err) {
  // One network per call: the budget is in pages, not networks.
  for (auto& [nwid, st] : nets_)
    if (!st.complete) {
      load(nwid, st, pages, err);
      return;
    }
}

void NetworkIndex::update(const Member& m) {
  // A member the load has not reached yet is read with its page later.
  if (auto it = nets_.find(m.nwid); it != nets_.end() && (it->second.complete ||
                                                           m.address <= it->second.after))
    apply(it->second.e, m);
}

void NetworkIndex::remove(uint64_t nwid, uint64_t address) {
  if (auto it = nets_.find(nwid); it != nets_.end()) {
    it->second.e.ips.remove_member(address);
    it->second.e.bridges.erase(address);
  }
}

void NetworkIndex::forget(uint64_t nwid) { nets_.erase(nwid); }

}  // namespace flatnet::control::controller
