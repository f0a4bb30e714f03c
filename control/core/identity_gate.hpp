// The gate in front of new identities (spec §4.2, §7.5, §7.6). A HELLO
// carrying an identity we do not hold costs an X25519 agreement and a 2 MiB
// memory-hard hash; those are what a flood targets, so such HELLOs pass, in
// order: a per-source bucket (/32 or /64), then a global per-second
// budget, waiting in a bounded queue when the budget is spent. Known
// identities never come here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "control/core/actions.hpp"
#include "control/core/config.hpp"
#include "control/core/metrics.hpp"
#include "control/core/rate_limit.hpp"

namespace flatnet::control {

class IdentityGate {
 public:
  IdentityGate(const Limits& limits, Metrics& m);

  struct Waiting {
    PhysicalPath from;
    std::vector<uint8_t> packet;
    uint64_t at = 0;
  };
  // True: check it now (one unit of the budget is taken). False: it was
  // queued (the packet moved into the queue) or refused (counted).
  bool admit(const PhysicalPath& from, std::vector<uint8_t>& packet, uint64_t now);
  // The queued HELLOs whose turn has come, oldest first, one unit of the
  // budget taken for each; those past the queue timeout are dropped
  // (counted). Bounded by the queue length.
  std::vector<Waiting> due(uint64_t now);
  // When due() next has work (the next token, or the oldest's timeout).
  uint64_t next_deadline(uint64_t now);
  size_t depth() const { return queue_.size(); }

 private:
  const Limits& limits_;
  Metrics& m_;
  TokenBucket budget_;
  SourceGate sources_;
  std::deque<Waiting> queue_;
};

}  // namespace flatnet::control
