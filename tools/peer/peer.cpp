// flatnet-peer: a minimal kernel-socket VL1 endpoint for demos and tests.
//
// It is not a node: it has no HELLO, no WHOIS, no path learning. It knows
// its own identity and one peer's public identity, agrees the shared key,
// and exchanges armored ECHO / OK(ECHO) packets with that peer through a
// fixed underlay address (normally a flatnet root, which relays without
// decrypting). That is enough to show end-to-end encrypted traffic crossing
// the data plane, and to check that relays preserve authentication.
//
//   flatnet-peer --identity a.secret --peer b.public --bind 10.0.0.11:9993
//                --via 10.0.0.1:9993 ping --count 5
//   flatnet-peer --identity b.secret --peer a.public --bind 10.0.0.12:9993
//                --via 10.0.0.1:9993 respond --count 5
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "crypto/armor.hpp"
#include "crypto/identity.hpp"
#include "dataplane/wire/vl1.hpp"

namespace fc = flatnet::crypto;
namespace fw = flatnet::wire;

namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  sockaddr_in sa{};
};

bool parse_endpoint(const std::string& s, Endpoint& out, std::string& err) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) { err = "expected IPv4:port, got '" + s + "'"; return false; }
  std::string ip = s.substr(0, colon);
  int port = std::atoi(s.c_str() + colon + 1);
  if (port <= 0 || port > 65535) { err = "bad port in '" + s + "'"; return false; }
  out.sa.sin_family = AF_INET;
  out.sa.sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, ip.c_str(), &out.sa.sin_addr) != 1) { err = "bad IPv4 address '" + ip + "'"; return false; }
  return true;
}

bool load_identity(const std::string& path, fc::Identity& out, std::string& err) {
  std::ifstream in(path);
  if (!in) { err = "cannot read " + path; return false; }
  std::stringstream ss;
  ss << in.rdbuf();
  auto id = fc::Identity::from_string(ss.str(), &err);
  if (!id) { err = path + ": " + err; return false; }
  out = *id;
  return true;
}

// Builds a packet header + verb + payload, armors it, returns the bytes.
std::vector<uint8_t> make_packet(uint64_t dst, uint64_t src, fw::Verb verb,
                                 const std::vector<uint8_t>& payload,
                                 const fc::PeerKeys& keys, fc::Suite suite, std::mt19937_64& rng) {
  std::vector<uint8_t> p(fw::kPacketHeaderLength + payload.size());
  fw::write_be64(p.data() + fw::kIdxPacketId, rng());
  fw::write_addr40(p.data() + fw::kIdxDest, dst);
  fw::write_addr40(p.data() + fw::kIdxSource, src);
  p[fw::kIdxFlags] = 0;
  p[fw::kIdxVerb] = uint8_t(verb);
  std::memcpy(p.data() + fw::kIdxPayload, payload.data(), payload.size());
  fc::armor(p, keys, suite);
  return p;
}

struct Session {
  int fd = -1;
  Endpoint via;
  fc::Identity self, peer;
  std::unique_ptr<fc::PeerKeys> keys;
  fc::Suite suite = fc::Suite::kAesGmacSiv;
  std::mt19937_64 rng{std::random_device{}()};

  void send(const std::vector<uint8_t>& pkt) {
    ::sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&via.sa), sizeof via.sa);
  }

  // Waits up to `timeout_ms` for one authenticated packet from the peer.
  // Datagrams that do not authenticate are counted and skipped.
  bool receive(std::vector<uint8_t>& pkt, int timeout_ms, unsigned& rejected) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) return false;
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, left) <= 0) return false;
      pkt.resize(fw::kMaxPacketLength);
      ssize_t n = ::recv(fd, pkt.data(), pkt.size(), 0);
      if (n < ssize_t(fw::kPacketHeaderLength)) { ++rejected; continue; }
      pkt.resize(size_t(n));
      if (fw::packet_source(pkt.data()) != peer.address() ||
          fw::packet_dest(pkt.data()) != self.address()) { ++rejected; continue; }
      if (fc::dearmor(pkt, *keys) != fc::DearmorResult::kOk) { ++rejected; continue; }
      return true;
    }
  }
};

int run_ping(Session& s, unsigned count, unsigned interval_ms, unsigned size) {
  unsigned replies = 0, rejected = 0;
  std::vector<double> rtts;
  for (unsigned seq = 0; seq < count; ++seq) {
    std::vector<uint8_t> payload(std::max(size, 12u));
    fw::write_be64(payload.data(), uint64_t(Clock::now().time_since_epoch().count()));
    payload[8] = uint8_t(seq >> 24); payload[9] = uint8_t(seq >> 16);
    payload[10] = uint8_t(seq >> 8); payload[11] = uint8_t(seq);
    auto pkt = make_packet(s.peer.address(), s.self.address(), fw::Verb::kEcho, payload, *s.keys, s.suite, s.rng);
    const uint64_t id_on_wire = fw::packet_id(pkt.data());
    const auto t0 = Clock::now();
    s.send(pkt);
    std::vector<uint8_t> in;
    bool got = false;
    while (s.receive(in, int(interval_ms < 200 ? 1000 : interval_ms), rejected)) {
      // OK payload: in-re verb, in-re packet id, then the echoed payload.
      if ((in[fw::kIdxVerb] & fw::kVerbMask) != uint8_t(fw::Verb::kOk) || in.size() < fw::kIdxPayload + 9) continue;
      if (in[fw::kIdxPayload] != uint8_t(fw::Verb::kEcho) || fw::read_be64(&in[fw::kIdxPayload + 1]) != id_on_wire) continue;
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      rtts.push_back(ms);
      ++replies;
      std::printf("%zu bytes from %s: seq=%u hops=%u cipher=%u time=%.3f ms (%s)\n", in.size(),
                  s.peer.address_string().c_str(), seq, fw::packet_hops(in.data()),
                  unsigned(fw::packet_cipher(in.data())), ms,
                  fw::packet_hops(in.data()) ? "relayed" : "direct");
      got = true;
      break;
    }
    if (!got) std::printf("no reply for seq=%u\n", seq);
    std::fflush(stdout);
    if (seq + 1 < count) ::usleep(interval_ms * 1000);
  }
  std::printf("--- %s: %u sent, %u replies, %u datagrams rejected ---\n",
              s.peer.address_string().c_str(), count, replies, rejected);
  return replies == count ? 0 : 1;
}

int run_respond(Session& s, unsigned count, unsigned timeout_ms) {
  unsigned answered = 0, rejected = 0;
  std::vector<uint8_t> in;
  while (answered < count && s.receive(in, int(timeout_ms), rejected)) {
    if ((in[fw::kIdxVerb] & fw::kVerbMask) != uint8_t(fw::Verb::kEcho)) continue;
    std::vector<uint8_t> ok;
    ok.push_back(uint8_t(fw::Verb::kEcho));
    ok.resize(9);
    fw::write_be64(ok.data() + 1, fw::packet_id(in.data()));
    ok.insert(ok.end(), in.begin() + fw::kIdxPayload, in.end());
    s.send(make_packet(s.peer.address(), s.self.address(), fw::Verb::kOk, ok, *s.keys, s.suite, s.rng));
    ++answered;
    std::printf("answered ECHO from %s (hops=%u, %zu bytes)\n", s.peer.address_string().c_str(),
                fw::packet_hops(in.data()), in.size());
    std::fflush(stdout);
  }
  std::printf("--- answered %u ECHOs, %u datagrams rejected ---\n", answered, rejected);
  return answered == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flatnet-peer: minimal kernel-socket VL1 endpoint (armored ECHO through a relay)"};
  std::string id_path, peer_path, bind_s, via_s;
  unsigned suite = 3;
  app.add_option("--identity", id_path, "our identity.secret")->required();
  app.add_option("--peer", peer_path, "the peer's identity.public")->required();
  app.add_option("--bind", bind_s, "local IPv4:port to bind")->required();
  app.add_option("--via", via_s, "underlay IPv4:port to send to (the root, or the peer itself)")->required();
  app.add_option("--suite", suite, "cipher suite: 0, 1 or 3")->check(CLI::IsMember({0u, 1u, 3u}));
  unsigned count = 5, interval = 500, size = 64, timeout = 10000;
  auto* ping = app.add_subcommand("ping", "send ECHOs, print replies and round-trip times");
  ping->add_option("--count", count, "ECHOs to send")->check(CLI::Range(1u, 100000u));
  ping->add_option("--interval", interval, "ms between ECHOs")->check(CLI::Range(1u, 60000u));
  ping->add_option("--size", size, "ECHO payload bytes")->check(CLI::Range(12u, 9000u));
  auto* respond = app.add_subcommand("respond", "answer ECHOs with OK(ECHO)");
  respond->add_option("--count", count, "ECHOs to answer before exiting")->check(CLI::Range(1u, 100000u));
  respond->add_option("--timeout", timeout, "ms to wait for each ECHO")->check(CLI::Range(1u, 600000u));
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  Session s;
  std::string err;
  Endpoint bind_ep;
  if (!load_identity(id_path, s.self, err) || !load_identity(peer_path, s.peer, err) ||
      !parse_endpoint(bind_s, bind_ep, err) || !parse_endpoint(via_s, s.via, err)) {
    std::fprintf(stderr, "flatnet-peer: %s\n", err.c_str());
    return 2;
  }
  if (!s.self.has_private()) { std::fprintf(stderr, "flatnet-peer: %s has no secret key\n", id_path.c_str()); return 2; }
  fc::SharedKey key;
  if (!s.self.agree(s.peer, key)) { std::fprintf(stderr, "flatnet-peer: key agreement failed\n"); return 2; }
  s.keys = std::make_unique<fc::PeerKeys>(key);
  s.suite = fc::Suite(suite);

  s.fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1;
  ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (s.fd < 0 || ::bind(s.fd, reinterpret_cast<const sockaddr*>(&bind_ep.sa), sizeof bind_ep.sa) != 0) {
    std::fprintf(stderr, "flatnet-peer: cannot bind %s: %s\n", bind_s.c_str(), std::strerror(errno));
    return 2;
  }
  int rc = ping->parsed() ? run_ping(s, count, interval, size) : run_respond(s, count, timeout);
  ::close(s.fd);
  return rc;
}
