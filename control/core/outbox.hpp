// Packets we originate (Core::send_to) for a peer whose identity we do not
// have yet: held while an upstream is asked (WHOIS) and sent once the peer
// is learned, dropped (counted) after kHeldMs. Bounded like the receive
// side's held packets (timers::kHeldMax, oldest out).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "dataplane/wire/vl1.hpp"

namespace flatnet::control {

struct OutboxEntry {
  uint64_t to = 0;
  wire::Verb verb = wire::Verb::kNop;
  uint64_t packet_id = 0;
  std::vector<uint8_t> payload;
  uint64_t at = 0;
};

class Outbox {
 public:
  // Holds one; returns how many older ones were pushed out to make room.
  unsigned hold(OutboxEntry e);
  // Removes and returns the entries `known(to)` says can be sent now, and
  // drops (returns in *expired) those older than `max_age_ms`.
  template <typename Known>
  std::vector<OutboxEntry> take(Known&& known, uint64_t now, uint64_t max_age_ms,
                                unsigned* expired) {
    std::vector<OutboxEntry> ready;
    *expired = 0;
    for (auto it = held_.begin(); it != held_.end();) {
      if (known(it->to)) {
        ready.push_back(std::move(*it));
        it = held_.erase(it);
      } else if (now >= it->at + max_age_ms) {
        ++*expired;
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    return ready;
  }
  bool empty() const { return held_.empty(); }
  size_t size() const { return held_.size(); }
  uint64_t oldest() const { return held_.empty() ? 0 : held_.front().at; }

 private:
  std::deque<OutboxEntry> held_;
};

}  // namespace flatnet::control
