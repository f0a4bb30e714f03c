#include "tools/pktgen/gen.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_memcpy.h>

#include <algorithm>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <vector>

#include "tools/pktgen/plan.hpp"
#include "tools/pktgen/rng.hpp"

namespace flatnet::pktgen {

namespace {

constexpr unsigned kMaxBurst = 256;

struct Clock {
  uint64_t hz, start, win_start, win_end, drain_end;
  double ns_per_tick;
};

Clock make_clock(const Options& o) {
  Clock c;
  c.hz = rte_get_tsc_hz();
  c.start = rte_get_tsc_cycles();
  c.win_start = c.start + uint64_t(o.warmup * double(c.hz));
  c.win_end = c.win_start + uint64_t(o.duration * double(c.hz));
  c.drain_end = c.win_end + uint64_t(o.drain * double(c.hz));
  c.ns_per_tick = 1e9 / double(c.hz);
  return c;
}

// Receives one burst and accounts for it. Frames are counted against the
// window by their stamped send time, so packets in flight across the window
// edges are neither lost nor double counted.
struct Receiver {
  const Port& port;
  const Clock& clk;
  const std::vector<SyntheticPeer>* peers;  // null in pcap mode
  uint8_t sent_hops;
  RunStats& st;

  unsigned poll() {
    rte_mbuf* rx[kMaxBurst];
    const uint16_t n = rte_eth_rx_burst(port.id, 0, rx, 64);
    if (n == 0) return 0;
    const uint64_t now = rte_get_tsc_cycles();
    rte_mbuf* arp[kMaxBurst];
    unsigned narp = 0, nfree = 0;
    st.rx_total += n;
    for (uint16_t i = 0; i < n; ++i) {
      if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(rx[i + 4], void*));
      rte_mbuf* m = rx[i];
      uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
      const RxInfo r = parse_frame(d, rte_pktmbuf_data_len(m));
      if (r.kind == RxKind::kOurs) {
        if (r.tsc >= clk.win_start && r.tsc < clk.win_end) account(r, now);
      } else if (r.kind == RxKind::kArpRequest && arp_reply_in_place(d, rte_pktmbuf_data_len(m), port.mac)) {
        ++st.rx_arp;
        arp[narp++] = m;
        continue;
      } else {
        ++st.rx_other;
      }
      rx[nfree++] = m;
    }
    rte_pktmbuf_free_bulk(rx, nfree);
    if (narp) {
      const uint16_t sent = rte_eth_tx_burst(port.id, 0, arp, uint16_t(narp));
      rte_pktmbuf_free_bulk(arp + sent, narp - sent);
    }
    return n;
  }

  void account(const RxInfo& r, uint64_t now) {
    ++st.rx_ours;
    st.latency_ns.record(uint64_t(double(now - r.tsc) * clk.ns_per_tick));
    if (r.hops == sent_hops) { ++st.rx_unrelayed; return; }
    ++st.rx_relayed;
    if (peers) {
      if (r.dst_index >= peers->size() || (*peers)[r.dst_index].ip != r.outer_dst_ip ||
          (*peers)[r.dst_index].port != r.outer_dst_port)
        ++st.rx_misrouted;
    }
  }
};

// How many packets the rate allows now (all of a burst when unlimited).
unsigned budget(const Options& o, const Clock& c, uint64_t now, uint64_t attempted_total) {
  if (o.rate_mpps <= 0) return o.burst;
  const double due = double(now - c.start) / double(c.hz) * o.rate_mpps * 1e6;
  if (due <= double(attempted_total)) return 0;
  return unsigned(std::min<double>(o.burst, due - double(attempted_total)));
}

void finish(const Port& port, const Options& o, RunStats& st) {
  st.window_s = o.duration;
  rte_eth_stats es{};
  if (rte_eth_stats_get(port.id, &es) == 0) {
    st.port_imissed = es.imissed;
    st.port_oerrors = es.oerrors;
  }
}

// Sends a few packets every 10 ms until one comes back (the other end is
// forwarding) or wait_s passes; then lets the rest drain. Returns whether
// anything came back. Nothing sent here is counted.
template <typename Fill>
bool probe(const Options& o, const Port& port, Fill& fill) {
  RunStats scratch;
  Clock c = make_clock(o);
  c.win_start = 0;
  c.win_end = ~0ULL;
  Receiver rx{port, c, nullptr, o.frame.hops, scratch};
  const uint64_t deadline = c.start + uint64_t(o.link_wait * double(c.hz));
  uint64_t next_send = c.start;
  rte_mbuf* tx[4];
  while (!g_stop && rte_get_tsc_cycles() < deadline) {
    rx.poll();
    if (scratch.rx_total > scratch.rx_arp) break;
    const uint64_t now = rte_get_tsc_cycles();
    if (now < next_send || rte_pktmbuf_alloc_bulk(port.pool, tx, 4) != 0) continue;
    fill(tx, 4, now);
    const uint16_t sent = rte_eth_tx_burst(port.id, 0, tx, 4);
    rte_pktmbuf_free_bulk(tx + sent, 4u - sent);
    next_send = now + c.hz / 100;
  }
  const bool ok = scratch.rx_total > scratch.rx_arp;
  const uint64_t quiet = rte_get_tsc_cycles() + c.hz / 20;
  while (rte_get_tsc_cycles() < quiet) rx.poll();
  return ok;
}

// The shared loop; fill(mbufs, n, now) writes n frames and returns nothing.
template <typename Fill>
RunStats run_loop(const Options& o, const Port& port, const std::vector<SyntheticPeer>* peers,
                  Fill&& fill) {
  if (o.probe && !probe(o, port, fill))
    std::fprintf(stderr, "flatnet-pktgen: warning: nothing came back within %.1f s of probing\n",
                 o.link_wait);
  RunStats st;
  const Clock clk = make_clock(o);
  Receiver rx{port, clk, peers, o.frame.hops, st};
  rte_mbuf* tx[kMaxBurst];
  uint64_t attempted_total = 0, window_sent = 0;
  uint64_t now = clk.start;
  while (!g_stop && now < clk.win_end && (o.count == 0 || window_sent < o.count)) {
    rx.poll();
    now = rte_get_tsc_cycles();
    unsigned n = budget(o, clk, now, attempted_total);
    if (o.count) n = unsigned(std::min<uint64_t>(n, o.count - window_sent));
    if (n == 0) continue;
    if (rte_pktmbuf_alloc_bulk(port.pool, tx, n) != 0) continue;  // pool empty: receive first
    fill(tx, n, now);
    const uint16_t sent = rte_eth_tx_burst(port.id, 0, tx, uint16_t(n));
    if (sent < n) rte_pktmbuf_free_bulk(tx + sent, n - sent);
    attempted_total += n;
    if (now >= clk.win_start) {
      st.offered += n;
      st.tx += sent;
      window_sent += n;
    }
  }
  // Drained even when stopping: the port then closes with nothing in flight.
  const uint64_t drain_end = rte_get_tsc_cycles() + uint64_t(o.drain * double(clk.hz));
  while (rte_get_tsc_cycles() < drain_end) rx.poll();
  finish(port, o, st);
  if (now < clk.win_end) st.window_s = double(now - clk.win_start) / double(clk.hz);
  return st;
}

}  // namespace

RunStats run_vl1(const Options& o, const Port& port, const std::vector<SyntheticPeer>& peers) {
  FrameParams fp = o.frame;
  fp.src_mac = port.mac;
  const size_t len = frame_len(fp);
  std::vector<uint8_t> tmpl(len);
  const uint32_t ip_sum = build_template(fp, tmpl.data());
  // Every buffer gets the whole template once, so per packet only the first
  // kHeadLen bytes need copying (returned frames, which land in the same
  // pool, keep the filler: a relay changes headers only).
  rte_mempool_obj_iter(port.pool, [](rte_mempool*, void* t, void* obj, unsigned) {
    auto* m = static_cast<rte_mbuf*>(obj);
    const auto* tv = static_cast<const std::vector<uint8_t>*>(t);
    if (m->buf_len >= RTE_PKTMBUF_HEADROOM + tv->size())
      std::memcpy(static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM, tv->data(), tv->size());
  }, &tmpl);
  Rng rng(o.rng_seed);
  const DestPicker dest(uint32_t(peers.size()), o.zipf);
  const uint32_t np = uint32_t(peers.size());
  uint32_t src_cursor = 0;
  return run_loop(o, port, &peers, [&](rte_mbuf** m, unsigned n, uint64_t now) {
    // Draw destinations first and prefetch their entries: 100,000 peers do
    // not fit in L1/L2, and a miss per packet would halve the rate.
    uint32_t di[kMaxBurst];
    for (unsigned i = 0; i < n; ++i) {
      di[i] = dest.pick(rng);
      rte_prefetch0(&peers[di[i]]);
    }
    for (unsigned i = 0; i < n; ++i) {
      uint8_t* d = rte_pktmbuf_mtod(m[i], uint8_t*);
      rte_memcpy(d, tmpl.data(), kHeadLen);
      // Sources go round-robin (sequential reads); a source never sends to itself.
      uint32_t si = src_cursor;
      if (++src_cursor == np) src_cursor = 0;
      if (si == di[i]) si = si + 1 == np ? 0 : si + 1;
      const SyntheticPeer& dp = peers[di[i]];
      const SyntheticPeer& sp = peers[si];
      const uint64_t r = rng.next();
      PacketFields v{rng.next(), dp.address, sp.address, sp.ip, sp.port, r, uint8_t(r >> 56),
                     di[i], now};
      patch_frame(d, v, ip_sum);
      m[i]->data_len = uint16_t(len);
      m[i]->pkt_len = uint32_t(len);
    }
  });
}

RunStats run_pcap(const Options& o, const Port& port, const PcapFrames& pf) {
  size_t next = 0;
  return run_loop(o, port, nullptr, [&](rte_mbuf** m, unsigned n, uint64_t) {
    for (unsigned i = 0; i < n; ++i) {
      const std::vector<uint8_t>& f = pf.frames[next];
      if (++next == pf.frames.size()) next = 0;
      rte_memcpy(rte_pktmbuf_mtod(m[i], uint8_t*), f.data(), f.size());
      m[i]->data_len = uint16_t(f.size());
      m[i]->pkt_len = uint32_t(f.size());
    }
  });
}

}  // namespace flatnet::pktgen
