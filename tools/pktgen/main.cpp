// flatnet-pktgen: a DPDK packet generator for the flatnet data plane.
//
//   flatnet-pktgen [options] -- <EAL arguments>
//
// Sends VL1 packets (or a pcap) from synthetic peers to the data plane's
// address:9993, counts what comes back (relayed = hops incremented), samples
// latency, and prints one JSON line on stdout (a human summary on stderr).
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "dataplane/wire/vl1.hpp"
#include "tools/pktgen/gen.hpp"
#include "tools/pktgen/gw_main.hpp"
#include "tools/pktgen/plan.hpp"

namespace {

using namespace flatnet::pktgen;

void on_signal(int) { g_stop = 1; }

int fail(const std::string& msg) {
  std::fprintf(stderr, "flatnet-pktgen: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Our options come before "--", EAL's after it.
  int split = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") { split = i; break; }

  Options o;
  Plan plan;
  std::string dst_mac = "ff:ff:ff:ff:ff:ff", dst_ip = "10.0.0.1";
  CLI::App app{"flatnet-pktgen: VL1 traffic generator (EAL arguments after --)"};
  app.add_option("--port", o.port, "DPDK port id");
  app.add_option("--dst-mac", dst_mac, "data plane's MAC address");
  app.add_option("--dst-ip", dst_ip, "data plane's IPv4 address");
  app.add_option("--dst-port", o.frame.dst_port, "data plane's UDP port")->capture_default_str();
  app.add_option("--size", o.frame.zt_len, "ZeroTier packet size = UDP payload bytes")
      ->check(CLI::Range(kMinZtLen, kMaxZtLen))->capture_default_str();
  app.add_option("--hops", o.frame.hops, "hop count in sent packets")
      ->check(CLI::Range(0u, unsigned(flatnet::wire::kMaxHops)))->capture_default_str();
  app.add_option("--peers", o.peers, "synthetic peers (addresses and paths)")
      ->check(CLI::Range(2u, 1u << 24))->capture_default_str();
  app.add_option("--seed", o.seed, "synthetic peer seed (same as flatnet-tableload's)")
      ->capture_default_str();
  app.add_option("--zipf", o.zipf, "zipf exponent for destinations; 0 = uniform")
      ->check(CLI::Range(0.0, 5.0))->capture_default_str();
  app.add_option("--rate", o.rate_mpps, "offered rate in Mpps; 0 = as fast as the port takes")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--count", o.count, "packets to send in the measured window; 0 = no limit");
  app.add_option("--duration", o.duration, "seconds of measured sending")
      ->check(CLI::Range(0.01, 3600.0))->capture_default_str();
  app.add_option("--warmup", o.warmup, "seconds of sending before measuring")
      ->check(CLI::Range(0.0, 60.0))->capture_default_str();
  app.add_option("--drain", o.drain, "seconds of receiving after sending")
      ->check(CLI::Range(0.0, 10.0))->capture_default_str();
  app.add_option("--link-wait", o.link_wait, "seconds to wait for link up")
      ->check(CLI::Range(0.0, 600.0))->capture_default_str();
  app.add_flag("!--no-probe", o.probe,
               "start measuring at once instead of waiting for probe packets to come back");
  app.add_option("--burst", o.burst, "tx burst size")->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("--ring-size", o.ring_size, "rx/tx descriptors")->check(CLI::Range(64u, 16384u))
      ->capture_default_str();
  app.add_option("--pool-size", o.pool_size, "mbufs in the pool")
      ->check(CLI::Range(1024u, 1u << 20))->capture_default_str();
  app.add_option("--pcap", o.pcap, "replay the frames of this pcap instead")->check(CLI::ExistingFile);
  app.add_flag("--pcap-rewrite", o.pcap_rewrite,
               "point replayed IPv4/UDP frames at --dst-mac/--dst-ip/--dst-port");
  app.add_option("--rng-seed", o.rng_seed, "seed of per-packet randomness");
  app.add_option("--repeat", plan.repeat, "runs at --rate (or max rate)")
      ->check(CLI::Range(0u, 1000u))->capture_default_str();
  app.add_flag("--ndr", plan.ndr, "then binary-search the no-drop rate");
  app.add_option("--ndr-runs", plan.ndr_runs, "independent no-drop-rate searches")
      ->check(CLI::Range(1u, 100u))->capture_default_str();
  app.add_option("--ndr-steps", plan.ndr_steps, "halvings per search")
      ->check(CLI::Range(1u, 30u))->capture_default_str();
  app.add_option("--ndr-loss", plan.ndr_loss_pct, "no drop = offered loss below this percentage")
      ->check(CLI::Range(0.0, 100.0))->capture_default_str();
  app.add_option("--ndr-max", plan.ndr_max, "search upper bound in Mpps; 0 = from max-rate runs");
  app.add_option("--lat-fracs", plan.lat_fracs,
                 "then runs at these fractions of the no-drop rate (latency)")->delimiter(',');
  app.add_option("--lat-runs", plan.lat_runs, "runs per latency fraction")
      ->check(CLI::Range(1u, 100u))->capture_default_str();
  GwOptions gw;
  std::string gw_nwid, gw_addr;
  app.add_option("--gateway", gw.mode,
                 "gateway traffic (docs/bench-gateway.md): decap = armored EXT_FRAMEs into --port, LAN "
                 "frames back on --lan-port; encap = LAN frames into --lan-port, datagrams back on --port")
      ->check(CLI::IsMember({"decap", "encap", "both"}));
  app.add_option("--lan-port", gw.lan_port, "gateway mode: DPDK port on the gateway's LAN")->capture_default_str();
  app.add_option("--suite", gw.suite, "gateway mode: cipher suite the keys are installed with")
      ->check(CLI::IsMember({1u, 3u}))->capture_default_str();
  app.add_option("--frame-size", gw.frame_sizes, "gateway mode: LAN frame bytes, a list (0 = IMIX)")
      ->delimiter(',')->check(CLI::Range(0u, 1514u));
  app.add_option("--nwid", gw_nwid, "gateway mode: the bridged network (16 hex digits)");
  app.add_option("--gw-address", gw_addr, "gateway mode: the gateway's VL1 address (10 hex digits)");
  app.add_flag("--io", gw.io, "gateway mode: the far end forwards our packets unchanged (testpmd io)");
  app.add_option("--label", gw.label, "gateway mode: target name in the JSON lines");
  unsigned list_peers = 0;
  app.add_option("--list-peers", list_peers,
                 "print the first N synthetic peers (address ip port) of --seed and exit");
  try {
    app.parse(split, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (list_peers) {
    for (uint32_t i = 0; i < list_peers; ++i) {
      const SyntheticPeer p = synthetic_peer(o.seed, i);
      std::printf("%010llx %u.%u.%u.%u %u\n", (unsigned long long)p.address, p.ip >> 24,
                  (p.ip >> 16) & 255, (p.ip >> 8) & 255, p.ip & 255, p.port);
    }
    return 0;
  }
  if (!gw_nwid.empty()) gw.nwid = std::stoull(gw_nwid, nullptr, 16);
  if (!gw_addr.empty()) gw.gateway = std::stoull(gw_addr, nullptr, 16);
  for (unsigned fs : gw.frame_sizes)
    if (fs && fs < 22) return fail("--frame-size: at least 22 bytes (or 0 for IMIX)");
  if (!parse_mac(dst_mac.c_str(), o.frame.dst_mac)) return fail("--dst-mac: bad MAC " + dst_mac);
  if (!parse_ipv4(dst_ip.c_str(), o.frame.dst_ip)) return fail("--dst-ip: bad IPv4 " + dst_ip);
  if (o.pool_size < 2 * o.ring_size + 2 * o.burst + 512)
    return fail("--pool-size must exceed twice --ring-size plus headroom");

  // EAL gets argv[0] followed by everything after "--".
  std::vector<char*> eal{argv[0]};
  for (int i = split + 1; i < argc; ++i) eal.push_back(argv[i]);
  if (rte_eal_init(int(eal.size()), eal.data()) < 0)
    return fail(std::string("EAL init failed: ") + rte_strerror(rte_errno));
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // A reader that goes away (a pipeline ending) stops us the same way: we
  // stop sending and drain before closing the port, because a memif peer
  // that disconnects under traffic can crash the other end (22.11).
  std::signal(SIGPIPE, on_signal);

  if (!gw.mode.empty()) {
    const int grc = run_gateway(o, plan.repeat, gw);
    rte_eal_cleanup();
    return grc;
  }
  int rc = 0;
  Port port;
  std::string err = port_open(o.port, o.ring_size, o.pool_size, o.link_wait, port);
  if (!err.empty()) {
    rc = fail(err);
  } else if (!o.pcap.empty()) {
    PcapFrames pf;
    err = pcap_load(o.pcap, 1u << 20, RTE_MBUF_DEFAULT_DATAROOM, pf);
    if (!err.empty()) {
      rc = fail(err);
    } else {
      size_t rewritten = 0;
      if (o.pcap_rewrite)
        for (auto& f : pf.frames)
          rewritten += pcap_rewrite(f, port.mac, o.frame.dst_mac, o.frame.dst_ip, o.frame.dst_port);
      std::fprintf(stderr, "flatnet-pktgen: %zu frames from %s (%llu skipped, %zu rewritten)\n",
                   pf.frames.size(), o.pcap.c_str(), (unsigned long long)pf.skipped, rewritten);
      run_plan(o, plan, "pcap", [&](const Options& ro) { return run_pcap(ro, port, pf); });
    }
  } else {
    const auto peers = synthetic_peers(o.seed, o.peers);
    run_plan(o, plan, "vl1", [&](const Options& ro) { return run_vl1(ro, port, peers); });
  }
  std::fflush(stdout);
  if (err.empty() || port.pool) port_close(port);
  rte_eal_cleanup();
  return rc;
}
