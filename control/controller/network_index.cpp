#include "control/controller/network_index.hpp"

namespace flatnet::control::controller {

void NetworkIndex::apply(Entry& e, const Member& m) {
  e.ips.set_member(m.address, m.ip_assignments);
  if (m.authorized && m.active_bridge) e.bridges.insert(m.address);
  else e.bridges.erase(m.address);
}

const NetworkIndex::Entry* NetworkIndex::get(uint64_t nwid, std::string* err) {
  if (auto it = nets_.find(nwid); it != nets_.end()) return &it->second;
  Entry e;
  uint64_t after = 0;
  for (;;) {
    store::MemberPage page;
    if (store_.list_members(nwid, after, 1000, page, err) != store::Status::kOk) return nullptr;
    for (const Member& m : page.members) apply(e, m);
    if (!page.next_after) break;
    after = *page.next_after;
  }
  return &(nets_[nwid] = std::move(e));
}

void NetworkIndex::update(const Member& m) {
  if (auto it = nets_.find(m.nwid); it != nets_.end()) apply(it->second, m);
}

void NetworkIndex::remove(uint64_t nwid, uint64_t address) {
  if (auto it = nets_.find(nwid); it != nets_.end()) {
    it->second.ips.remove_member(address);
    it->second.bridges.erase(address);
  }
}

void NetworkIndex::forget(uint64_t nwid) { nets_.erase(nwid); }

}  // namespace flatnet::control::controller
