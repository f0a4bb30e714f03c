// libFuzzer target: dictionary text and the NetworkConfig read from it,
// and the same bytes as a NETWORK_CONFIG_REQUEST payload.
// Whatever parses must re-encode to text that parses to the same thing;
// a config that decodes must re-encode and decode to the same config.
#include <cstdlib>
#include <vector>

#include "dataplane/wire/config_request.hpp"
#include "dataplane/wire/network_config.hpp"

namespace {

void request(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  ConfigRequest q;
  if (decode_config_request({data, size}, q) != RequestStatus::kOk) return;
  std::vector<uint8_t> out;
  if (!encode_config_request(q, out)) return;  // bad key or escapes over capacity
  ConfigRequest back;
  if (decode_config_request(out, back) != RequestStatus::kOk || !(back == q)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flatnet::wire;
  request(data, size);
  Dictionary d;
  if (parse_dictionary({data, size}, d) != DictStatus::kOk) return 0;
  std::vector<uint8_t> text;
  // Keys of parsed entries never hold '=', CR, LF or NUL, but may be empty.
  const auto es = encode_dictionary(d, text);
  if (es == DictStatus::kOk) {
    Dictionary again;
    if (parse_dictionary(text, again) != DictStatus::kOk) std::abort();
    if (!(again == d)) std::abort();
  } else if (es != DictStatus::kBadKey && es != DictStatus::kTooLong) {
    std::abort();
  }
  NetworkConfig nc;
  if (network_config_from_dictionary(d, nc) != ConfigStatus::kOk) return 0;
  std::vector<uint8_t> enc;
  if (encode_network_config(nc, enc) != ConfigStatus::kOk) return 0;  // e.g. over capacity
  NetworkConfig back;
  if (decode_network_config(enc, back) != ConfigStatus::kOk) std::abort();
  // As stock: SSO versions other than 0 and 1 are not written back, and
  // v1 reads "aurl" but does not write it.
  if (nc.sso_version == 1) back.authentication_url = nc.authentication_url;
  if (nc.sso_version <= 1 && !(back == nc)) std::abort();
  return 0;
}
