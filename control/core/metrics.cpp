// Names for every counter of Metrics. See metrics.hpp.
#include "control/core/metrics.hpp"

namespace flatnet::control {

std::vector<CounterSample> metric_samples(const Metrics& m) {
  std::vector<CounterSample> out;
  auto add = [&](const char* name, const char* help, uint64_t v) {
    out.push_back(CounterSample{std::string("flatnet_control_") + name, help, v});
  };
  add("rx_datagrams", "datagrams fed to the core", m.rx_datagrams);
  add("tx_datagrams", "datagrams the core asked to send", m.tx_datagrams);
  add("tx_bursts", "bursts of packets armored together (crypto/mb)", m.tx_bursts);
  add("tx_burst_packets", "packets armored in those bursts", m.tx_burst_packets);
  add("rx_bursts", "bursts of received packets dearmored together (crypto/mb)", m.rx_bursts);
  add("rx_burst_packets", "packets dearmored in those bursts", m.rx_burst_packets);
  add("identity_checks", "memory-hard identity validations run", m.identity_checks);
  add("key_agreements", "X25519 key agreements run", m.key_agreements);
  add("identity_queued", "HELLOs that waited for the new-identity budget", m.identity_queued);
  add("hello_answered", "OK(HELLO) sent", m.hello_answered);
  add("worlds_sent", "planets/moons sent inside OK(HELLO)", m.worlds_sent);
  add("worlds_accepted", "planet updates and moons taken from OK(HELLO)", m.worlds_accepted);
  add("peers_learned", "peers added to the table", m.peers_learned);
  add("peers_evicted", "peers pushed out by the table capacity", m.peers_evicted);
  add("peers_forgotten", "peers dropped after the activity timeout", m.peers_forgotten);
  add("paths_expired", "paths dropped after the path timeout", m.paths_expired);
  add("whois_answered", "identities returned in OK(WHOIS)", m.whois_answered);
  add("whois_unknown", "WHOIS addresses not in the table", m.whois_unknown);
  add("whois_forwarded", "unknown WHOIS addresses asked of a sibling root", m.whois_forwarded);
  add("whois_forward_limited", "unknown WHOIS addresses not asked (limits)",
      m.whois_forward_limited);
  add("whois_deferred", "WHOIS identities held back until the path proved a round trip",
      m.whois_deferred);
  add("path_challenges", "ECHO sent to make a path prove a round trip", m.path_challenges);
  add("paths_confirmed", "paths that answered a HELLO or ECHO of ours", m.paths_confirmed);
  add("echo_answered", "OK(ECHO) sent", m.echo_answered);
  add("rendezvous_sent", "RENDEZVOUS packets sent", m.rendezvous_sent);
  add("rendezvous_pair_limited", "introductions refused: pair introduced within 30 s",
      m.rendezvous_pair_limited);
  add("rendezvous_budget_limited", "introductions refused: global RENDEZVOUS budget",
      m.rendezvous_budget_limited);
  add("rendezvous_no_path", "introductions impossible: a side unknown or no common family",
      m.rendezvous_no_path);
  add("rendezvous_received", "RENDEZVOUS acted upon", m.rendezvous_received);
  add("multicast_likes", "multicast subscriptions stored or refreshed", m.multicast_likes);
  add("gathers_answered", "OK(MULTICAST_GATHER) sent", m.gathers_answered);
  add("relayed", "datagrams relayed in software (a root without a data plane)", m.relayed);
  add("held_for_whois", "packets from unknown senders held for a WHOIS answer", m.held_for_whois);
  add("held_released", "held packets decoded once their sender was known", m.held_released);
  add("vl2_sent", "packets sent for the VL2 member or controller", m.vl2_sent);
  add("outbox_held", "VL2 packets held until their destination's identity arrived", m.outbox_held);
  add("heartbeats_sent", "ECHO heartbeats on paths unused for 14 s", m.heartbeats_sent);
  add("surface_addresses_learned", "external addresses reported by upstreams",
      m.surface_addresses_learned);
  add("push_direct_paths_sent", "PUSH_DIRECT_PATHS sent", m.push_direct_paths_sent);
  add("push_direct_paths_received", "PUSH_DIRECT_PATHS acted upon", m.push_direct_paths_received);
  add("push_direct_paths_limited", "PUSH_DIRECT_PATHS ignored: over 8 per peer per 30 s",
      m.push_direct_paths_limited);
  add("push_direct_paths_tried", "pushed addresses sent a HELLO", m.push_direct_paths_tried);
  for (size_t i = 0; i < size_t(Drop::kCount); ++i)
    add((std::string("drop_") + kDropNames[i]).c_str(), kDropHelp[i], m.drops[i]);
  for (size_t v = 0; v < m.rx_verb.size(); ++v)
    if (m.rx_verb[v]) add(("rx_verb_" + std::to_string(v)).c_str(), "authenticated packets of this verb", m.rx_verb[v]);
  return out;
}

}  // namespace flatnet::control
