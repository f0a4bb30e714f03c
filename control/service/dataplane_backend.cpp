// flatnet-dataplane backend: punts in, injects out, peer-table commands,
// relayed-pair events; re-attaches when the data plane restarts.
#include <time.h>

#include <algorithm>
#include <cstring>

#include "control/service/backend.hpp"
#include "control/service/clock.hpp"
#include "dataplane/ipc/client.hpp"

namespace flatnet::control::service {
namespace {

PhysicalPath from_phys(const flatnet_ipc_phys_addr& a) {
  PhysicalPath p;
  p.local_socket = a.port_id;
  if (a.family == FLATNET_IPC_AF_INET) p.remote = wire::InetAddress::v4(a.ip, a.udp_port);
  else if (a.family == FLATNET_IPC_AF_INET6) p.remote = wire::InetAddress::v6(a.ip, a.udp_port);
  return p;
}

bool to_phys(const PhysicalPath& p, flatnet_ipc_phys_addr& a) {
  std::memset(&a, 0, sizeof a);
  a.port_id = uint16_t(p.local_socket < 0 ? 0 : p.local_socket);
  a.udp_port = p.remote.port;
  if (p.remote.family == wire::InetAddress::Family::kV4) {
    a.family = FLATNET_IPC_AF_INET;
    std::memcpy(a.ip, p.remote.ip.data(), 4);
  } else if (p.remote.family == wire::InetAddress::Family::kV6) {
    a.family = FLATNET_IPC_AF_INET6;
    std::memcpy(a.ip, p.remote.ip.data(), 16);
  } else {
    return false;
  }
  return true;
}

class DataplaneBackend final : public Backend {
 public:
  explicit DataplaneBackend(std::string instance) : instance_(std::move(instance)) {}

  bool attach(std::string* err) {
    client_ = ipc::Client::attach(ipc::segment_path(instance_), err);
    if (!client_) return false;
    need_restart_ = true;
    client_->resync(++seq_);
    return true;
  }

  unsigned poll(const BackendEvents& ev, unsigned budget) override {
    if (!client_ || !client_->dataplane_alive()) {
      client_.reset();
      const uint64_t now = mono_ms();
      if (now < next_attach_) return 0;
      next_attach_ = now + 500;
      std::string err;
      if (!attach(&err)) return 0;
    }
    unsigned n = client_->poll_events(
        [&](const flatnet_ipc_event& e) {
          switch (e.type) {
            case FLATNET_IPC_EV_RELAY_PAIR: ev.relayed_pair(e.addr, e.addr2); break;
            case FLATNET_IPC_EV_PEER: ev.table_peer(e.addr, from_phys(e.path)); break;
            case FLATNET_IPC_EV_RESYNC_END:
              if (need_restart_) {
                need_restart_ = false;
                ev.restarted();
              }
              break;
            default: break;
          }
        },
        budget);
    n += client_->poll_punts(
        [&](const flatnet_ipc_slot_meta& m, const uint8_t* pkt, uint32_t len) {
          ev.datagram(from_phys(m.addr), std::span<const uint8_t>(pkt, len));
        },
        std::max(1u, budget / 4));
    idle_ = n == 0 ? std::min(idle_ + 1, 20u) : 0;
    return n;
  }

  bool send(const SendDatagram& d) override {
    flatnet_ipc_phys_addr a;
    if (!client_ || !to_phys(d.path, a)) return false;
    // The data plane sends with its own TTL; a root never hole-punches.
    return client_->inject(d.bytes.data(), uint32_t(d.bytes.size()), a);
  }

  bool table(const TableCommand& c) override {
    if (!client_) return false;
    if (c.op == TableOp::kPeerDelete) return client_->send_command(ipc::make_delete(c.address));
    if (c.op == TableOp::kSiblingRoot) {
      // The world's sibling root for unknown destinations (value 0 clears).
      flatnet_ipc_command cmd = ipc::make_config(FLATNET_IPC_CFG_SIBLING_ROOT, c.path.remote.is_null() ? 0 : 1);
      if (!c.path.remote.is_null() && !to_phys(c.path, cmd.path)) return false;
      return client_->send_command(cmd);
    }
    flatnet_ipc_phys_addr a;
    if (!to_phys(c.path, a)) return false;
    return client_->send_command(ipc::make_upsert(c.address, a));
  }

  // No descriptor to sleep on: back off from 0.1 ms to 2 ms over empty polls.
  void wait(int ms) override {
    const long us = std::min<long>(long(ms) * 1000, 100L * (1 + idle_));
    timespec ts{0, us * 1000};
    nanosleep(&ts, nullptr);
  }

  int64_t local_socket() const override { return 0; }
  // The data plane publishes its ports in the segment header; one from
  // before that field leaves them 0 (then the default port, no secondary).
  uint16_t port() const override {
    uint16_t p = client_ ? client_->header().udp_port : 0;
    return p ? p : 9993;
  }
  uint16_t secondary_port() const override { return client_ ? client_->header().secondary_port : 0; }
  std::string describe() const override { return "dataplane " + instance_; }

  std::vector<std::pair<std::string, uint64_t>> dataplane_counters() override {
    ipc::CounterSnapshot snap;
    std::string err;
    if (!client_ || !client_->dataplane_alive()) return {};
    if (!client_->read_counters(&snap, &err)) return {};
    return snap.totals();
  }

 private:
  std::string instance_;
  std::unique_ptr<ipc::Client> client_;
  uint32_t seq_ = 0;
  bool need_restart_ = false;
  uint64_t next_attach_ = 0;
  unsigned idle_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_dataplane_backend(const std::string& instance, std::string* err) {
  auto b = std::make_unique<DataplaneBackend>(instance);
  if (!b->attach(err)) return nullptr;
  return b;
}

}  // namespace flatnet::control::service
