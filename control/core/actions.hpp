// What the core asks its caller to do. The core does no I/O (STYLE.md, the
// ZeroTier node-core shape): every call that feeds it something -- a
// datagram, a data-plane event, the passage of time -- appends to an
// Actions value, and the caller carries them out: sends the datagrams, puts
// the table commands on the command ring, writes the log lines, and calls
// run_background() again no later than next_deadline.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/wire/inet_address.hpp"
#include "dataplane/wire/world.hpp"

namespace flatnet::control {

// A physical path: which local socket, which remote IP:port -- a pair, not
// an address type of its own: the IP:port is wire::InetAddress, the one
// IP:port type outside the fast path's per-packet code. The local socket is
// the backend's opaque handle: the UDP backend's socket index, or the data
// plane's DPDK port id (the port_id of the ABI's flatnet_ipc_phys_addr; the
// conversion is dataplane/ipc/phys_addr.hpp, called by
// control/service/dataplane_backend.cpp).
struct PhysicalPath {
  int64_t local_socket = -1;
  wire::InetAddress remote;
  bool operator==(const PhysicalPath&) const = default;
};

// A received datagram of a burst (Core::receive_burst): where it came from
// and its bytes, valid for the call.
struct ReceivedDatagram {
  PhysicalPath from;
  std::span<const uint8_t> bytes;
};

struct SendDatagram {
  PhysicalPath path;
  std::vector<uint8_t> bytes;
  // IP TTL to use, 0 = the socket's default. The RENDEZVOUS hole punch sends
  // a 4-byte datagram with TTL 2 (spec §4.6).
  uint8_t ttl = 0;
};

// Commands for the data plane's peer table (what it needs to relay): this
// is a plain struct of ours until the shared-memory ABI (dataplane/ipc)
// settles; the process glue will translate it.
enum class TableOp : uint8_t {
  kPeerUpsert = 1,   // address is reachable over `path` (its best direct path)
  kPeerDelete = 2,   // forget address (evicted, timed out, lost its last path)
  kSiblingRoot = 3,  // a root: send unknown destinations to `path` (root `address`)
};

struct TableCommand {
  TableOp op = TableOp::kPeerUpsert;
  uint64_t address = 0;
  PhysicalPath path;  // unused for kPeerDelete
  bool operator==(const TableCommand&) const = default;
};

enum class LogLevel : uint8_t { kDebug = 0, kInfo, kWarn, kError };

struct LogLine {
  LogLevel level = LogLevel::kInfo;
  uint64_t at = 0;        // the `now` it was produced at
  std::string text;       // never contains key material
};

// An OK(ECHO) answering an ECHO we sent (Core::send_echo): what a ping
// waits for. `payload` is what the peer echoed back.
struct EchoReply {
  uint64_t from = 0;
  uint64_t in_re_packet_id = 0;
  unsigned hops = 0;          // > 0: it came through a relay
  std::vector<uint8_t> payload;
};

struct Actions {
  std::vector<SendDatagram> send;
  std::vector<TableCommand> table;
  std::vector<LogLine> log;
  std::vector<EchoReply> echo_replies;
  // Worlds taken from OK(HELLO): a newer planet, a newer revision of an
  // orbited moon, or a moon fetched from its seed. The caller persists them
  // (<home>/planet, moons.d/<16-hex id>.moon); the core already uses them.
  std::vector<wire::World> worlds_learned;
  // Absolute time (same clock as `now`) by which run_background() must be
  // called again. Always set by the core before it returns.
  uint64_t next_deadline = 0;

  void clear() {
    send.clear();
    table.clear();
    log.clear();
    echo_replies.clear();
    worlds_learned.clear();
    next_deadline = 0;
  }
};

}  // namespace flatnet::control
