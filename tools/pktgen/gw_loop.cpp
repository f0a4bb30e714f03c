#include "tools/pktgen/gw_loop.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/vl2_frame.hpp"

namespace flatnet::pktgen::vl2 {

namespace {

namespace wire = flatnet::wire;
constexpr unsigned kBurst = 32;
// VL1 header and EXT_FRAME header in front of an Ethernet frame's payload,
// less its 14-byte header: a head of zl bytes carries zl - this LAN bytes.
constexpr uint32_t kVl2Overhead = uint32_t(wire::kPacketHeaderLength + wire::vl2::kExtFrameHeader - 14);

}  // namespace

GwResult gw_run(const GwRun& g, const Params& p, const std::vector<Datagram>& dgs,
             const std::vector<std::vector<uint8_t>>& frames, const PeerIndex& peers) {
  const bool decap = g.decap, io = g.io;
  const uint16_t tx_port = g.tx_port, rx_port = g.rx_port;
  rte_mempool* pool = g.pool;
  const uint64_t hz = rte_get_tsc_hz();
  const Mac& next_hop = g.next_hop;
  const double seconds = g.seconds;
  const size_t n_src = decap ? dgs.size() : frames.size();
  const unsigned nf = unsigned(frames.size());
  size_t at = 0;
  rte_mbuf* pend[kBurst];
  uint16_t n_pend = 0, p_at = 0;
  uint64_t back = 0, bytes = 0, bad = 0, opened = 0, seen = 0;
  uint64_t sent = 0, got = 0, last_rx = rte_rdtsc();  // frames, for the window
  uint64_t until_warm = rte_rdtsc() + hz / 5;  // 0.2 s warm-up, not counted
  bool counting = false;
  uint64_t t0 = 0, until = 0;
  unsigned drain = 0;
  FlowOrder order(nf, p.peers);
  for (;;) {
    const uint64_t now = rte_rdtsc();
    if (!counting && now >= until_warm) {
      counting = true;
      got -= back;  // `back` restarts; `got` keeps counting for the window
      back = bytes = 0;
      t0 = now;
      until = now + uint64_t(seconds * double(hz));
    }
    if (counting && now >= until) break;
    // Refill and send, at most kWindow frames in flight (the rings and
    // the reassembly pool are not a buffer to fill): a burst copied from
    // the pool, in pool order (a frame's datagrams back to back), what
    // the port refuses kept for the next round.
    if (p_at == n_pend && sent - got < kWindow) {
      n_pend = p_at = 0;
      if (rte_pktmbuf_alloc_bulk(pool, pend, kBurst) == 0) {
        for (unsigned i = 0; i < kBurst; ++i) {
          const std::vector<uint8_t>& src = decap ? dgs[at].bytes : frames[at];
          sent += decap ? dgs[at].last : 1;
          at = at + 1 == n_src ? 0 : at + 1;
          std::memcpy(rte_pktmbuf_append(pend[i], uint16_t(src.size())), src.data(), src.size());
        }
        n_pend = kBurst;
      }
    }
    if (p_at < n_pend) p_at = uint16_t(p_at + rte_eth_tx_burst(tx_port, 0, pend + p_at, uint16_t(n_pend - p_at)));
    // Receive and check everything there is (up to 8 bursts a round).
    const uint64_t back0 = back;
    for (int round = 0; round < 8; ++round) {
    rte_mbuf* b[kBurst];
    const uint16_t n = rte_eth_rx_burst(rx_port, 0, b, kBurst);
    if (n == 0) break;
    for (uint16_t i = 0; i < n; ++i) {
      const uint8_t* f = rte_pktmbuf_mtod(b[i], const uint8_t*);
      const uint32_t len = b[i]->data_len;
      if (io) {  // our own packets back, unchanged: count the LAN bytes they carry
        bad += std::memcmp(f, decap ? p.gw_mac.data() : f, 6) != 0;
        if (!decap) {
          ++back;
          bytes += len;
          continue;
        }
        const uint8_t* zt = f + kOuterLen;
        const uint32_t zl = len - uint32_t(kOuterLen);
        const bool frag = wire::classify(zt, zl) == wire::DatagramKind::kFragment;
        bytes += frag ? zl - wire::kFragmentHeaderLength : zl - kVl2Overhead;
        back += frag || !wire::packet_fragmented(zt);  // a frame at its last datagram
        continue;
      }
      if (decap) {
        const long idx = check_lan_frame(p, f, len, nf);
        if (idx < 0) {
          ++bad;
          continue;
        }
        order.saw(unsigned(idx));
        ++back;
        bytes += len;
      } else {
        const UnderlayInfo r = check_underlay(p, peers, next_hop, f, len);
        if (!r.ok) {
          ++bad;
          continue;
        }
        const uint32_t zl = len - uint32_t(kOuterLen);
        if (r.fragment) {
          bytes += zl - wire::kFragmentHeaderLength;
          continue;
        }
        ++back;
        bytes += zl - kVl2Overhead;
        if (!r.head_fragmented && ++seen % kDearmorEvery == 0) {
          const long idx = dearmor_check(p, f, len, nf);
          if (idx < 0) {
            ++bad;
          } else {
            ++opened;  // not an order sample: 1 in kDearmorEvery of a cyclic pool
                       // lands on one position of its flow cycle after cycle
          }
        }
      }
    }
    rte_pktmbuf_free_bulk(b, n);
    }
    got += back - back0;
    // A frame the gateway dropped never comes back: after 50 ms without
    // one, what is in flight is written off (the gateway counts drops).
    if (back != back0) last_rx = now;
    else if (sent != got && now - last_rx > hz / 20) {
      got = sent;
      last_rx = now;
    }
    if (g.chores && ++drain % 64 == 0) g.chores(g.ctx);
  }
  const double s = double(rte_rdtsc() - t0) / double(hz);
  // Stop sending and take what is still in flight for 0.1 s: a memif peer
  // must not be left sending into a port about to close (it can crash the
  // other end, DPDK 22.11), and the next run starts empty.
  for (const uint64_t end = rte_rdtsc() + hz / 10; rte_rdtsc() < end;) {
    rte_mbuf* b[kBurst];
    const uint16_t n = rte_eth_rx_burst(rx_port, 0, b, kBurst);
    if (n) rte_pktmbuf_free_bulk(b, n);
  }
  // Unsent and in-flight packets are freed after the worker stops.
  if (p_at < n_pend) rte_pktmbuf_free_bulk(pend + p_at, uint16_t(n_pend - p_at));
  GwResult r;
  r.mpps = double(back) / s / 1e6;
  r.gbps = double(bytes) * 8 / s / 1e9;
  r.bad = bad;
  r.opened = opened;
  r.order_checked = order.checked();
  r.order_seen = order.seen();
  r.out_of_order = order.out_of_order();
  return r;
}

}  // namespace flatnet::pktgen::vl2
