// Which tap queue a frame goes to, so a flow keeps one queue (and, with one
// worker per queue, one thread): frames of one flow written to one queue fd
// reach the kernel in order, and the kernel keeps each flow it transmits on
// one queue too. Never reordering a flow is STYLE practice 9; TCP counts
// reordering as loss (TcpExtTCPOFOQueue).
//
// The key is the IPv4/IPv6 address pair and, for TCP/UDP first fragments,
// the port pair, ordered so both directions of a flow hash alike; other
// frames hash by their MAC pair. One 802.1Q tag is looked through.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flatnet::control::port {

uint32_t flow_hash(const uint8_t* frame, size_t len);

inline unsigned flow_queue(const uint8_t* frame, size_t len, unsigned queues) {
  return queues <= 1 ? 0 : unsigned(flow_hash(frame, len) % queues);
}

}  // namespace flatnet::control::port
