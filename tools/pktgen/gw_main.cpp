#include "tools/pktgen/gw_main.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "tools/pktgen/plan.hpp"
#include "tools/pktgen/gw_loop.hpp"
#include "tools/pktgen/port.hpp"

namespace flatnet::pktgen {

int run_gateway(const Options& o, unsigned repeat, const GwOptions& g) {
  Port under, lan;
  std::string err = port_open(o.port, o.ring_size, o.pool_size, o.link_wait, under);
  if (err.empty()) err = port_open(g.lan_port, o.ring_size, o.pool_size, o.link_wait, lan);
  if (!err.empty()) {
    std::fprintf(stderr, "flatnet-pktgen: %s\n", err.c_str());
    if (under.pool) port_close(under);
    return 1;
  }
  vl2::Params p;
  p.seed = o.seed;
  p.peers = o.peers;
  p.nwid = g.nwid;
  p.gateway = g.gateway;
  p.suite = crypto::Suite(g.suite);
  p.gw_mac = o.frame.dst_mac;
  p.gen_mac = under.mac;
  p.gw_ip = o.frame.dst_ip;
  p.gw_port = o.frame.dst_port;
  const vl2::PeerIndex peers(p.seed, p.peers);
  const unsigned nf = std::max(1024u, o.peers);
  int rc = 0;
  for (unsigned size : g.frame_sizes) {
    p.frame_size = size;
    for (const char* dir : {"decap", "encap"}) {
      if (g.mode != "both" && g.mode != dir) continue;
      const bool decap = dir[0] == 'd';
      const auto dgs = vl2::decap_pool(p, decap ? nf : 0);
      const auto frames = vl2::encap_pool(p, nf);
      vl2::GwRun run;
      run.decap = decap;
      run.io = g.io;
      run.tx_port = decap ? under.id : lan.id;
      run.rx_port = decap ? lan.id : under.id;
      run.pool = under.pool;
      run.next_hop = under.mac;  // the gateway's next hop is us (its static neighbour)
      run.seconds = o.duration;
      for (unsigned r = 0; r < repeat && !g_stop; ++r) {
        const vl2::GwResult x = vl2::gw_run(run, p, dgs, frames, peers);
        std::printf("{\"kind\":\"gw-run\",\"target\":\"%s\",\"dir\":\"%s\",\"suite\":%u,\"peers\":%u,"
                    "\"size\":\"%s\",\"run\":%u,\"mpps\":%.3f,\"gbps\":%.3f,\"bad\":%llu,\"opened\":%llu,"
                    "\"order_seen\":%llu,\"out_of_order\":%s}\n",
                    g.label.c_str(), dir, g.suite, o.peers, size ? std::to_string(size).c_str() : "imix", r, x.mpps,
                    x.gbps, (unsigned long long)x.bad, (unsigned long long)x.opened,
                    (unsigned long long)x.order_seen,
                    x.order_checked && x.order_seen ? std::to_string(x.out_of_order).c_str() : "null");
        std::fflush(stdout);
        if (x.bad) rc = 1;
      }
    }
  }
  port_close(lan);
  port_close(under);
  return rc;
}

}  // namespace flatnet::pktgen
