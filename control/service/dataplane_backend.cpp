// flatnet-dataplane backend: punts in, injects out, peer-table commands,
// relayed-pair events; re-attaches when the data plane restarts.
#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "control/service/backend.hpp"
#include "control/service/clock.hpp"
#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/phys_addr.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::control::service {
namespace {

// PhysicalPath <-> the ABI: the InetAddress converts in dataplane/ipc
// (phys_addr.hpp); the local socket here is the data plane's DPDK port id.
PhysicalPath from_phys(const flatnet_ipc_phys_addr& a) {
  PhysicalPath p;
  p.local_socket = a.port_id;
  p.remote = ipc::to_inet(a);
  return p;
}

bool to_phys(const PhysicalPath& p, flatnet_ipc_phys_addr& a) {
  return ipc::to_phys(p.remote, uint16_t(p.local_socket < 0 ? 0 : p.local_socket), &a);
}

// The VL1 source address of a punted packet (a packet head: spec §2.1), 0
// for a fragment or a runt (0 is not a valid address). Not authenticated
// yet: it only lets an aged-out peer's wanted path be re-sent, rate-limited.
uint64_t vl1_source(const uint8_t* pkt, uint32_t len) {
  if (len < wire::kPacketHeaderLength || pkt[wire::kFragIdxIndicator] == wire::kFragmentIndicator)
    return 0;
  return wire::packet_source(pkt);
}

// The table goes through control/boundary's reconciler: Backend::table()
// only changes the desired state, poll() feeds it the data plane's events
// and lets it send what the command ring has room for.
class DataplaneBackend final : public Backend {
 public:
  explicit DataplaneBackend(std::string instance)
      : instance_(std::move(instance)),
        table_([this](const std::string& line) { logs_.push_back(line); }),
        vl2_([this](const std::string& line) { logs_.push_back(line); }) {}

  bool attach(std::string* err) {
    client_ = ipc::Client::attach(ipc::segment_path(instance_), err);
    if (!client_) return false;
    attached_ms_ = mono_ms();
    table_.attached(attached_ms_);  // asks for a dump on the next poll
    vl2_.attached();                // a gateway's VL2 tables: a new epoch, installed again, swept
    vlan_vl2_.clear();              // made again for this data plane's networks
    return true;
  }

  unsigned poll(const BackendEvents& ev, unsigned budget) override {
    // A data plane that runs but does not serve us (it lost or never
    // started our session, or we saw it corrupt a ring): a new attach, a
    // new epoch, a new session.
    if (client_ && client_->dataplane_alive()) {
      const bool lost = client_->session_lost();
      if (lost || (!client_->session_ready() && mono_ms() - attached_ms_ > 2000)) {
        ev.log(LogLevel::kWarn,
               lost ? "dataplane: session lost (not served, or a corrupt ring); re-attaching"
                    : "dataplane: session not ready after 2 s; re-attaching");
        table_.detached();
        vl2_.detached();
        vlan_vl2_.clear();
        client_.reset();
        next_attach_ = 0;
      }
    }
    if (!client_ || !client_->dataplane_alive()) {
      if (client_) {
        table_.detached();
        vl2_.detached();
        vlan_vl2_.clear();
      }
      client_.reset();
      const uint64_t now = mono_ms();
      if (now < next_attach_) return 0;
      next_attach_ = now + 500;
      std::string err;
      if (!attach(&err)) return 0;
    }
    const uint64_t now = mono_ms();
    unsigned n = client_->poll_events(
        [&](const flatnet_ipc_event& e) {
          if (e.type == FLATNET_IPC_EV_RELAY_PAIR) ev.relayed_pair(e.addr, e.addr2);
          else if (e.type == FLATNET_IPC_EV_VL2_GROUP) {
            if (ev.lan_group) ev.lan_group(e.addr, e.addr2 & 0xffffffffffffull, e.status, e.count);
          }
          else if (e.type == FLATNET_IPC_EV_VL2_LOOP) {
            if (ev.lan_loop)
              ev.lan_loop(e.addr, e.addr2 & 0xffffffffffffull, uint64_t(e.status & 0xff) << 32 | e.count);
          }
          else if (e.type == FLATNET_IPC_EV_RESULT && boundary::Vl2Reconciler::owns(e.seq))
            vl2_for_seq(e.seq).on_result(e, now);
          else table_.on_event(e, now);
        },
        budget);
    n += table_.pump(now, [&](const flatnet_ipc_command& c) { return client_->send_command(c); });
    if (lan_network() != 0 || !lan_vlan_networks().empty()) {
      // vl2_ begins and sweeps the epochs for all bridged networks (it holds
      // the keys): the others send only after its EPOCH_BEGIN, and it sweeps
      // once they are synced too.
      bool others = true;
      for (uint64_t nwid : lan_vlan_networks()) {
        auto it = vlan_vl2_.find(nwid);
        if (nwid != first_network() && (it == vlan_vl2_.end() || !it->second->synced())) others = false;
      }
      vl2_.set_others_synced(others);
      n += vl2_.pump(now, [&](flatnet_ipc_command& c) { return client_->send_command(c); });
    }
    if (vl2_.epoch_begun())
      for (auto& [nwid, r] : vlan_vl2_) n += r->pump(now, [&](flatnet_ipc_command& c) { return client_->send_command(c); });
    if (table_.take_dump_done()) {
      // Kept for the gateway's control only (a root's dump can hold 100,000s).
      std::vector<uint64_t> dumped = table_.take_dumped();
      if (lan_network() != 0 || !lan_vlan_networks().empty()) dumped_peers_ = std::move(dumped);
      ev.restarted();
    }
    for (const std::string& line : logs_) ev.log(LogLevel::kWarn, line);
    logs_.clear();
    n += client_->poll_punts(
        [&](const flatnet_ipc_slot_meta& m, const uint8_t* pkt, uint32_t len) {
          // A packet from a peer the data plane aged out, over the path
          // control wants for it, puts it back in the table (the core does
          // not re-announce an unchanged path, UNKNOWN_DEST is lossy).
          if (uint64_t src = vl1_source(pkt, len)) table_.on_heard(src, m.addr, now);
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
    if (c.op == TableOp::kPeerDelete) {
      table_.want_delete(c.address);
      return true;
    }
    flatnet_ipc_phys_addr a;
    if (c.op == TableOp::kSiblingRoot) {
      // The world's sibling root for unknown destinations (null clears).
      if (c.path.remote.is_null()) {
        table_.want_sibling(std::nullopt);
        return true;
      }
      if (!to_phys(c.path, a)) return false;
      table_.want_sibling(a);
      return true;
    }
    if (!to_phys(c.path, a)) return false;
    table_.want_upsert(c.address, a);
    return true;
  }

  void table_complete(uint64_t now) override { table_.desired_complete(now); }
  std::optional<boundary::ReconcilerStats> table_state() const override { return table_.stats(); }

  uint64_t lan_network() const override { return client_ ? client_->header().lan_network : 0; }
  std::string host_interface() const override {
    if (!client_) return {};
    const flatnet_ipc_header& h = client_->header();
    return std::string(h.host_iface, strnlen(h.host_iface, sizeof h.host_iface));
  }
  void vl2_desired(boundary::Vl2Desired d) override { vl2_.set_desired(std::move(d)); }
  std::optional<std::vector<uint64_t>> take_dumped_peers() override { return std::exchange(dumped_peers_, std::nullopt); }
  std::optional<boundary::Vl2ReconcilerStats> vl2_state() const override {
    if (!client_ || (client_->header().lan_network == 0 && lan_vlan_networks().empty())) return std::nullopt;
    boundary::Vl2ReconcilerStats t = vl2_.stats();
    for (const auto& [nwid, r] : vlan_vl2_) {  // all bridged networks together
      const boundary::Vl2ReconcilerStats v = r->stats();
      t.members += v.members, t.keys += v.keys, t.macs += v.macs, t.subscribers += v.subscribers;
      t.pending |= v.pending, t.in_flight += v.in_flight, t.commands_sent += v.commands_sent;
      t.ring_full += v.ring_full, t.failures += v.failures, t.reinstalls += v.reinstalls;
      t.creds_refused += v.creds_refused;
      t.barriers_confirmed = std::min(t.barriers_confirmed, v.barriers_confirmed);
    }
    return t;
  }
  std::vector<uint64_t> lan_vlan_networks() const override {
    std::vector<uint64_t> out;
    if (!client_) return out;
    const flatnet_ipc_header& h = client_->header();
    for (unsigned i = 0; i < FLATNET_IPC_MAX_LAN_VLANS; ++i)
      if (h.lan_vlan_networks[i] && h.lan_vlan_networks[i] != h.lan_network &&
          std::find(out.begin(), out.end(), h.lan_vlan_networks[i]) == out.end())
        out.push_back(h.lan_vlan_networks[i]);
    return out;
  }
  // The first bridged network's tables go to vl2_ (seq space 0), each other
  // one to a reconciler of its own, made on first use (seq space 1..).
  uint64_t first_network() const {
    return lan_network() ? lan_network() : (lan_vlan_networks().empty() ? 0 : lan_vlan_networks()[0]);
  }
  void vl2_desired_for(uint64_t nwid, boundary::Vl2Desired d) override {
    if (!client_) return;
    if (nwid == first_network()) return vl2_desired(std::move(d));
    auto it = vlan_vl2_.find(nwid);
    if (it == vlan_vl2_.end()) {
      const auto nets = lan_vlan_networks();
      if (std::find(nets.begin(), nets.end(), nwid) == nets.end()) return;  // not bridged here
      auto r = std::make_unique<boundary::Vl2Reconciler>([this](const std::string& line) { logs_.push_back(line); });
      r->set_seq_space(unsigned(vlan_vl2_.size() + 1));
      r->set_epoch_owner(false);  // vl2_'s epoch
      r->attached();
      it = vlan_vl2_.emplace(nwid, std::move(r)).first;
    }
    it->second->set_desired(std::move(d));
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
  boundary::TableReconciler table_;
  std::optional<std::vector<uint64_t>> dumped_peers_;  // the last dump's, for a gateway (take_dumped_peers)
  boundary::Vl2Reconciler vl2_;  // a gateway's VL2 tables (lan_network() != 0)
  std::map<uint64_t, std::unique_ptr<boundary::Vl2Reconciler>> vlan_vl2_;  // its other bridged networks
  boundary::Vl2Reconciler& vl2_for_seq(uint32_t seq) {
    const unsigned space = boundary::Vl2Reconciler::seq_space(seq);
    for (auto& [nwid, r] : vlan_vl2_)
      if (r->seq_space_of() == space) return *r;
    return vl2_;
  }
  std::vector<std::string> logs_;  // the reconciler's lines, handed to ev.log
  uint64_t next_attach_ = 0;
  uint64_t attached_ms_ = 0;  // when client_ attached
  unsigned idle_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_dataplane_backend(const std::string& instance, std::string* err) {
  auto b = std::make_unique<DataplaneBackend>(instance);
  if (!b->attach(err)) return nullptr;
  return b;
}

}  // namespace flatnet::control::service
