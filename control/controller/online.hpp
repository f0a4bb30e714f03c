// The members that asked for a network's config recently: stock's
// _MemberStatus. It gives the 1,000 ms request floor
// (ZT_NETCONF_MIN_REQUEST_PERIOD), the "online" set revocations and config
// pushes go to (a request within the last 120 s, stock's 2 x
// ZT_NETWORK_AUTOCONF_DELAY), and what a push needs to rebuild a config
// without a request (identity, request metadata). In memory only; the
// PostgreSQL backend will keep the online set in the database so a standby
// can take over (issue 11).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "control/controller/member.hpp"
#include "control/controller/network.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/dictionary.hpp"

namespace flatnet::control::controller {

inline constexpr uint64_t kMinRequestPeriodMs = 1000;
inline constexpr uint64_t kOnlineMs = 120000;
// Entries kept at most: a bound on memory whatever requesters do (each
// needs an authenticated identity and an existing network of ours).
inline constexpr std::size_t kMaxOnlineEntries = 1'000'000;

struct OnlineMember {
  uint64_t nwid = 0, address = 0;
  uint64_t last_request = 0;       // `now` clock
  crypto::Identity identity;       // public part
  wire::Dictionary metadata;       // of its last request
  bool authorized = false;         // its last answer was a config
  // What its last answer was built from (record_hash of the member and the
  // network): a journal entry whose record still hashes the same (our own
  // write after answering, an import of the same content) pushes nothing.
  uint64_t member_hash = 0;
  uint64_t network_hash = 0;
};

// A record's content, its revision left out (revisions count writes; an
// import or restore may change content without a new one).
uint64_t record_hash(const Member& m);
uint64_t record_hash(const Network& n);

class OnlineMembers {
 public:
  enum class Admit : uint8_t { kYes, kTooSoon, kFull };
  // A genuine request: kTooSoon if the member asked less than
  // kMinRequestPeriodMs ago, kFull if it is new and the table is full
  // (ignore it either way); else records it.
  Admit admit(uint64_t nwid, uint64_t address, uint64_t now);
  void erase(uint64_t nwid, uint64_t address);
  OnlineMember* find(uint64_t nwid, uint64_t address);
  OnlineMember& get(uint64_t nwid, uint64_t address);  // creates
  // Members of `nwid` online at `now`.
  std::vector<OnlineMember*> online(uint64_t nwid, uint64_t now);
  // Forgets members silent for longer than the online window (bounded memory).
  void prune(uint64_t now);
  std::size_t size() const { return m_.size(); }

 private:
  std::map<std::pair<uint64_t, uint64_t>, OnlineMember> m_;
};

}  // namespace flatnet::control::controller
