#include "control/controller/online.hpp"

#include <functional>
#include <string>

namespace flatnet::control::controller {

uint64_t record_hash(const Member& m) {
  Member c = m;
  c.revision = 0;
  return std::hash<std::string>{}(member_to_json(c).dump());
}

uint64_t record_hash(const Network& n) {
  Network c = n;
  c.revision = 0;
  return std::hash<std::string>{}(network_to_json(c).dump());
}

OnlineMembers::Admit OnlineMembers::admit(uint64_t nwid, uint64_t address, uint64_t now) {
  if (m_.size() >= kMaxOnlineEntries && !find(nwid, address)) return Admit::kFull;
  OnlineMember& m = get(nwid, address);
  if (m.last_request != 0 && now - m.last_request <= kMinRequestPeriodMs) return Admit::kTooSoon;
  m.last_request = now;
  return Admit::kYes;
}

void OnlineMembers::erase(uint64_t nwid, uint64_t address) { m_.erase({nwid, address}); }

OnlineMember* OnlineMembers::find(uint64_t nwid, uint64_t address) {
  auto it = m_.find({nwid, address});
  return it == m_.end() ? nullptr : &it->second;
}

OnlineMember& OnlineMembers::get(uint64_t nwid, uint64_t address) {
  OnlineMember& m = m_[{nwid, address}];
  m.nwid = nwid;
  m.address = address;
  return m;
}

std::vector<OnlineMember*> OnlineMembers::online(uint64_t nwid, uint64_t now) {
  std::vector<OnlineMember*> out;
  for (auto it = m_.lower_bound({nwid, 0}); it != m_.end() && it->first.first == nwid; ++it)
    if (it->second.last_request != 0 && now - it->second.last_request < kOnlineMs)
      out.push_back(&it->second);
  return out;
}

void OnlineMembers::prune(uint64_t now) {
  for (auto it = m_.begin(); it != m_.end();)
    if (now - it->second.last_request >= kOnlineMs) it = m_.erase(it);
    else ++it;
}

}  // namespace flatnet::control::controller
