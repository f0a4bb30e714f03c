// Capture replay for the conformance suite (see capture_check.hpp).
#include "tests/conformance/capture_check.hpp"

#include <cstring>
#include <sstream>

#include "dataplane/wire/compress.hpp"
#include "dataplane/wire/fragment.hpp"
#include "dataplane/wire/vl1.hpp"
#include "tests/conformance/pcap_udp.hpp"
#include "tests/conformance/vectors.hpp"

namespace flatnet::conformance {

namespace w = flatnet::wire;

std::map<uint64_t, crypto::Identity> load_node_identities(const std::filesystem::path& testnet) {
  std::map<uint64_t, crypto::Identity> ids;
  const auto nodes = testnet / "nodes";
  if (!std::filesystem::is_directory(nodes)) return ids;
  for (const auto& e : std::filesystem::directory_iterator(nodes)) {
    const auto f = e.path() / "identity.secret";
    if (!std::filesystem::exists(f)) continue;
    if (auto id = crypto::Identity::from_string(read_text(f)); id && id->has_private())
      ids.emplace(id->address(), *id);
  }
  return ids;
}

namespace {

class Checker {
 public:
  Checker(const std::map<uint64_t, crypto::Identity>& ids, CaptureStats& s) : ids_(ids), s_(s) {}

  void datagram(const UdpDatagram& d) {
    const auto& p = d.payload;
    if (p.size() == 4) {  // hole-punch junk (README: "not a ZeroTier packet")
      ++s_.junk4;
      return;
    }
    switch (w::classify(p.data(), p.size())) {
      case w::DatagramKind::kRunt: ++s_.runts; return;
      case w::DatagramKind::kBeacon: ++s_.beacons; return;
      case w::DatagramKind::kFragment: {
        ++s_.fragments;
        const uint64_t key = slot_key(w::fragment_packet_id(p.data()), d.path_key());
        auto& pieces = pieces_[key];
        const unsigned no = w::fragment_number(p.data());
        if (pieces.size() <= no) pieces.resize(no + 1);
        pieces[no] = p;
        feed(d, p);
        return;
      }
      case w::DatagramKind::kPacket:
        if (w::packet_fragmented(p.data())) {
          ++s_.heads;
          auto& pieces = pieces_[slot_key(w::packet_id(p.data()), d.path_key())];
          if (pieces.empty()) pieces.resize(1);
          pieces[0] = p;
          feed(d, p);
        } else {
          ++s_.whole;
          packet(d, p, {p});
        }
        return;
    }
  }

  void finish() { s_.incomplete_at_end = reasm_.in_use(); }

 private:
  static uint64_t slot_key(uint64_t id, uint64_t path) { return id ^ (path * 0x9e3779b97f4a7c15ULL); }

  void feed(const UdpDatagram& d, const std::vector<uint8_t>& p) {
    std::vector<uint8_t> out;
    // Captured frames are milliseconds apart; time is not the point here.
    const auto r = reasm_.add(d.path_key(), p, 0, &out);
    if (r == w::ReassemblyResult::kComplete) {
      const uint64_t key = slot_key(w::packet_id(out.data()), d.path_key());
      auto pieces = std::move(pieces_[key]);
      pieces_.erase(key);
      packet(d, out, std::move(pieces));
    } else if (r != w::ReassemblyResult::kPending) {
      ++s_.reassembly_rejected;
      problem("reassembly: " + std::string(w::to_string(r)));
    }
  }

  std::shared_ptr<crypto::PeerKeys> keys_for(uint64_t a, uint64_t b) {
    auto ia = ids_.find(a), ib = ids_.find(b);
    if (ia == ids_.end() || ib == ids_.end()) return nullptr;
    const auto k = std::make_pair(std::min(a, b), std::max(a, b));
    if (auto it = keys_.find(k); it != keys_.end()) return it->second;
    crypto::SharedKey ab, ba;
    std::shared_ptr<crypto::PeerKeys> pk;
    if (ia->second.agree(ib->second, ab) && ib->second.agree(ia->second, ba)) {
      ++s_.key_pairs;
      if (std::memcmp(ab.data(), ba.data(), ab.size()) != 0) ++s_.key_pairs_asymmetric;
      pk = std::make_shared<crypto::PeerKeys>(ab);
    }
    keys_[k] = pk;
    return pk;
  }

  void packet(const UdpDatagram& d, const std::vector<uint8_t>& wire,
              std::vector<std::vector<uint8_t>> pieces) {
    ++s_.packets;
    const uint64_t src = w::packet_source(wire.data()), dst = w::packet_dest(wire.data());
    auto keys = keys_for(src, dst);
    if (!keys) {
      ++s_.no_key;
      return;
    }
    const unsigned suite = unsigned(w::packet_cipher(wire.data()));
    std::vector<uint8_t> plain = wire;
    uint8_t iv[8] = {};
    const auto res = crypto::dearmor(plain, *keys, iv);
    if (res != crypto::DearmorResult::kOk) {
      ++s_.auth_fail;
      ++s_.suite_fail[suite];
      problem("dearmor " + hex_id(wire) + ": " + crypto::to_string(res));
      return;
    }
    ++s_.auth_ok;
    ++s_.suite_ok[suite];

    std::vector<uint8_t> expanded = plain;
    if (plain[w::kIdxVerb] & w::kVerbFlagCompressed) {
      ++s_.compressed;
      std::vector<uint8_t> u = plain;
      u.resize(w::kMaxPacketLength);
      size_t len = plain.size();
      if (w::decompress_packet(u.data(), len, u.size()) == w::DecompressStatus::kOk) {
        ++s_.decompress_ok;
        expanded.assign(u.begin(), u.begin() + len);
        std::vector<uint8_t> c(u.begin(), u.begin() + len);
        size_t clen = len;
        if (w::compress_packet(c.data(), clen) && clen == plain.size() &&
            std::equal(c.begin(), c.begin() + clen, plain.begin()))
          ++s_.recompress_identical;
      } else {
        ++s_.decompress_fail;
        problem("lz4 " + hex_id(wire));
      }
    }

    // Re-armor as the sender did: hops 0 (relays only ever increment them),
    // the sender's random IV back in bytes 0..7 for AES-GMAC-SIV.
    std::vector<uint8_t> again = plain;
    if (suite == unsigned(crypto::Suite::kAesGmacSiv)) std::memcpy(again.data(), iv, 8);
    const uint8_t hops = uint8_t(wire[w::kIdxFlags] & w::kFlagsHopsMask);
    again[w::kIdxFlags] &= uint8_t(~w::kFlagsHopsMask);
    crypto::armor(again, *keys, crypto::Suite(suite));
    again[w::kIdxFlags] |= hops;
    if (again == wire) {
      ++s_.rearmor_identical;
    } else {
      ++s_.rearmor_different;
      problem("re-armor differs " + hex_id(wire));
    }

    if (pieces.size() > 1) {
      // Split at the captured head's size; relays bump the hop count of the
      // head and of every fragment alike.
      auto split = w::split_packet(wire, pieces[0].size());
      for (size_t i = 1; i < split.size(); ++i) split[i][w::kFragIdxHops] = hops;
      if (split == pieces) {
        ++s_.refragment_identical;
      } else {
        ++s_.refragment_different;
        problem("re-fragment differs " + hex_id(wire));
      }
    }

    CapturedPacket cp;
    cp.wire = wire;
    cp.plain = std::move(expanded);
    cp.datagrams = std::move(pieces);
    cp.keys = keys;
    cp.suite = suite;
    cp.from = d.ipv6 ? w::InetAddress::v6(d.src.data(), d.sport) : w::InetAddress::v4(d.src.data(), d.sport);
    cp.to = d.ipv6 ? w::InetAddress::v6(d.dst.data(), d.dport) : w::InetAddress::v4(d.dst.data(), d.dport);
    s_.authenticated.push_back(std::move(cp));
  }

  static std::string hex_id(const std::vector<uint8_t>& p) {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", (unsigned long long)w::packet_id(p.data()));
    return b;
  }

  void problem(std::string s) {
    if (s_.problems.size() < 10) s_.problems.push_back(std::move(s));
  }

  const std::map<uint64_t, crypto::Identity>& ids_;
  CaptureStats& s_;
  w::Reassembler reasm_;
  std::map<uint64_t, std::vector<std::vector<uint8_t>>> pieces_;
  std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<crypto::PeerKeys>> keys_;
};

}  // namespace

CaptureStats check_capture(const std::filesystem::path& pcap,
                           const std::map<uint64_t, crypto::Identity>& ids) {
  CaptureStats s;
  PcapSummary ps = read_pcap_udp(pcap.string());
  s.error = ps.error;
  s.frames = ps.frames;
  s.non_udp = ps.non_udp;
  s.udp = ps.udp.size();
  Checker c(ids, s);
  for (const auto& d : ps.udp) {
    s.udp_ipv6 += d.ipv6;
    if (d.sport != w::kDefaultPort && d.dport != w::kDefaultPort) {
      ++s.not_port_9993;
      continue;
    }
    c.datagram(d);
  }
  c.finish();
  return s;
}

std::string summary(const CaptureStats& s) {
  std::ostringstream o;
  o << "frames=" << s.frames << " udp=" << s.udp << " (ipv6 " << s.udp_ipv6 << ")" << " non9993=" << s.not_port_9993
    << " junk4=" << s.junk4 << " whole=" << s.whole << " heads=" << s.heads
    << " fragments=" << s.fragments << " packets=" << s.packets << " no_key=" << s.no_key
    << " auth_ok=" << s.auth_ok << " auth_fail=" << s.auth_fail << " [suite0=" << s.suite_ok[0]
    << " suite1=" << s.suite_ok[1] << " suite3=" << s.suite_ok[3] << "] compressed=" << s.compressed
    << " lz4_ok=" << s.decompress_ok << " lz4_same_bytes=" << s.recompress_identical
    << " rearmor_same=" << s.rearmor_identical << " refrag_same=" << s.refragment_identical
    << " incomplete=" << s.incomplete_at_end;
  return o.str();
}

}  // namespace flatnet::conformance
