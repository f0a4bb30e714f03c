// flatnet-idtool: identities, signatures and moons, with the verbs, output
// text and exit codes of stock `zerotier-idtool` (one.cpp), so scripts
// written for it keep working. Files it writes are byte-compatible: stock
// identity.secret/.public and .moon files are read and written unchanged.
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "control/service/files.hpp"
#include "crypto/identity.hpp"
#include "crypto/secure.hpp"
#include "dataplane/wire/vl1.hpp"
#include "dataplane/wire/world.hpp"
#include "tools/idtool/moon.hpp"

namespace {

using flatnet::crypto::Identity;

void print_help(FILE* out, const char* pn) {
  std::fprintf(out,
               "flatnet-idtool: ZeroTier-compatible identity tool (zerotier-idtool verbs)\n"
               "Usage: %s <command> [<args>]\n"
               "\n"
               "Commands:\n"
               "  generate [<identity.secret>] [<identity.public>] [<vanity>]\n"
               "  validate <identity.secret/public>\n"
               "  getpublic <identity.secret>\n"
               "  sign <identity.secret> <file>\n"
               "  verify <identity.secret/public> <file> <signature>\n"
               "  initmoon <identity.public of first seed>\n"
               "  genmoon <moon json>\n",
               pn);
}

std::optional<std::string> read_file(const char* path) {
  std::string s;
  if (flatnet::control::service::read_whole_file(path, s) != 0) return std::nullopt;
  return s;
}

// Written whole or not at all (temp file created with `mode`, fsync'd,
// renamed): a secret is never readable by others, not even while being
// written, and a crash leaves the old file, not a truncated one.
bool write_file(const char* path, const void* data, size_t n, unsigned mode = 0644) {
  std::string why;
  if (flatnet::control::service::write_file_atomic(
          path, std::string_view(static_cast<const char*>(data), n), mode, &why))
    return true;
  std::fprintf(stderr, "%s\n", why.c_str());
  return false;
}

// Stock rule: an argument longer than 32 characters with ':' at index 10 is
// an identity literal; anything else names a file holding one.
std::optional<Identity> identity_from_arg(const char* arg) {
  if (std::strlen(arg) > 32 && arg[10] == ':') return Identity::from_string(arg);
  auto text = read_file(arg);
  if (!text) return std::nullopt;
  flatnet::crypto::WipeOnExit wipe(*text);  // may hold a private key
  return Identity::from_string(*text);
}

uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

int cmd_generate(int argc, char** argv) {
  uint64_t vanity = 0;
  int vanity_bits = 0;
  if (argc >= 5) {
    const size_t n = std::strlen(argv[4]);
    if (n == 0 || n > 10 || std::strspn(argv[4], "0123456789abcdefABCDEF") != n) {
      std::fprintf(stderr, "invalid vanity prefix: %s\n", argv[4]);
      return 1;
    }
    vanity = std::strtoull(argv[4], nullptr, 16) & 0xffffffffffULL;
    vanity_bits = 4 * int(n);
  }
  Identity id;
  for (;;) {
    id = Identity::generate();
    if (vanity_bits == 0 || (id.address() >> (40 - vanity_bits)) == vanity) {
      if (vanity_bits > 0) std::fprintf(stderr, "vanity address: found %.10" PRIx64 " !\n", id.address());
      break;
    }
    std::fprintf(stderr, "vanity address: tried %.10" PRIx64 " looking for first %d bits of %.10" PRIx64 "\n",
                 id.address(), vanity_bits, vanity << (40 - vanity_bits));
  }
  std::string secret = id.to_string(true);
  flatnet::crypto::WipeOnExit wipe(secret);
  if (argc < 3) {
    std::printf("%s", secret.c_str());
    return 0;
  }
  if (!write_file(argv[2], secret.data(), secret.size(), 0600)) {
    std::fprintf(stderr, "Error writing to %s\n", argv[2]);
    return 1;
  }
  std::printf("%s written\n", argv[2]);
  if (argc >= 4) {
    const std::string pub = id.to_string(false);
    if (!write_file(argv[3], pub.data(), pub.size())) {
      std::fprintf(stderr, "Error writing to %s\n", argv[3]);
      return 1;
    }
    std::printf("%s written\n", argv[3]);
  }
  return 0;
}

int cmd_validate(char* arg) {
  auto id = identity_from_arg(arg);
  if (!id) {
    std::fprintf(stderr, "Identity argument invalid or file unreadable: %s\n", arg);
    return 1;
  }
  if (!id->locally_validate()) {
    std::fprintf(stderr, "%s FAILED validation.\n", arg);
    return 1;
  }
  std::printf("%s is a valid identity\n", arg);
  return 0;
}

int cmd_getpublic(char* arg) {
  auto id = identity_from_arg(arg);
  if (!id) {
    std::fprintf(stderr, "Identity argument invalid or file unreadable: %s\n", arg);
    return 1;
  }
  std::printf("%s", id->to_string(false).c_str());
  return 0;
}

int cmd_sign(char* idarg, char* file) {
  auto id = identity_from_arg(idarg);
  if (!id) {
    std::fprintf(stderr, "Identity argument invalid or file unreadable: %s\n", idarg);
    return 1;
  }
  if (!id->has_private()) {
    std::fprintf(stderr, "%s does not contain a private key (must use private to sign)\n", idarg);
    return 1;
  }
  auto msg = read_file(file);
  if (!msg) {
    std::fprintf(stderr, "%s is not readable\n", file);
    return 1;
  }
  const auto sig = id->sign({reinterpret_cast<const uint8_t*>(msg->data()), msg->size()});
  std::printf("%s", flatnet::idtool::to_hex(sig.data(), sig.size()).c_str());
  return 0;
}

int cmd_verify(char* idarg, char* file, char* sigarg) {
  auto id = identity_from_arg(idarg);
  if (!id) {
    std::fprintf(stderr, "Identity argument invalid or file unreadable: %s\n", idarg);
    return 1;
  }
  auto msg = read_file(file);
  if (!msg) {
    std::fprintf(stderr, "%s is not readable\n", file);
    return 1;
  }
  const std::span<const uint8_t> m(reinterpret_cast<const uint8_t*>(msg->data()), msg->size());
  auto check = [&](const std::optional<std::string>& sig) {
    return sig && sig->size() > flatnet::wire::kAddressLength &&
           id->verify(m, {reinterpret_cast<const uint8_t*>(sig->data()), sig->size()});
  };
  // The signature is given as hex, or (as stock accepts) a file holding hex.
  bool ok = check(flatnet::idtool::from_hex(sigarg));
  if (!ok) {
    if (auto text = read_file(sigarg)) ok = check(flatnet::idtool::from_hex(*text));
  }
  if (!ok) {
    std::fprintf(stderr, "%s signature check FAILED\n", file);
    return 1;
  }
  std::printf("%s signature valid\n", file);
  return 0;
}

int cmd_initmoon(char* arg) {
  auto id = identity_from_arg(arg);
  if (!id) {
    std::fprintf(stderr, "%s is not a valid identity\n", arg);
    return 1;
  }
  flatnet::crypto::PublicKey pub;
  flatnet::crypto::PrivateKey priv;
  flatnet::crypto::c25519_generate(pub, priv);
  std::printf("%s\n", flatnet::idtool::initmoon_json(*id, pub, priv).dump(1).c_str());
  return 0;
}

// `genmoon <moon json> [--timestamp <ms>]`. The timestamp option is ours
// (not in stock): it reproduces a stock .moon byte for byte from its JSON.
int cmd_genmoon(int argc, char** argv) {
  const char* path = argv[2];
  uint64_t ts = now_ms();
  if (argc >= 5 && !std::strcmp(argv[3], "--timestamp")) {
    char* end = nullptr;
    errno = 0;
    ts = std::strtoull(argv[4], &end, 10);
    if (errno || !end || *end || end == argv[4]) {
      std::fprintf(stderr, "invalid --timestamp %s\n", argv[4]);
      return 1;
    }
  }
  auto text = read_file(path);
  if (!text) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  std::string why;
  auto w = flatnet::idtool::genmoon_world(j, ts, &why);
  if (!w) {
    if (why == "ID is invalid")
      std::fprintf(stderr, "ID in %s is invalid\n", path);
    else
      std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  std::vector<uint8_t> bin;
  if (!flatnet::wire::serialize_world(*w, bin)) {
    std::fprintf(stderr, "world does not serialize\n");
    return 1;
  }
  char fn[64];
  std::snprintf(fn, sizeof fn, "%.16" PRIx64 ".moon", w->id);
  if (!write_file(fn, bin.data(), bin.size())) {
    std::fprintf(stderr, "Error writing to %s\n", fn);
    return 1;
  }
  std::printf("wrote %s (signed world with timestamp %" PRIu64 ")\n", fn, ts);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_help(stdout, argv[0]);
    return 1;
  }
  const std::string verb = argv[1];
  // `flatnet <command> --help` is the CLI's convention (stock treats it as
  // an unknown verb: help and exit 1).
  if (verb == "-h" || verb == "--help" || verb == "help") {
    print_help(stdout, argv[0]);
    return 0;
  }
  if (verb == "generate") return cmd_generate(argc, argv);
  if (verb == "validate" && argc >= 3) return cmd_validate(argv[2]);
  if (verb == "getpublic" && argc >= 3) return cmd_getpublic(argv[2]);
  if (verb == "sign" && argc >= 4) return cmd_sign(argv[2], argv[3]);
  if (verb == "verify" && argc >= 5) return cmd_verify(argv[2], argv[3], argv[4]);
  // Stock prints help but exits 0 when initmoon/genmoon lack an argument.
  if (verb == "initmoon" || verb == "genmoon") {
    if (argc < 3) {
      print_help(stdout, argv[0]);
      return 0;
    }
    return verb == "initmoon" ? cmd_initmoon(argv[2]) : cmd_genmoon(argc, argv);
  }
  print_help(stdout, argv[0]);
  return 1;
}
