// The NETWORK_CONFIG_REQUEST payload (spec §4.12): what a member sends its
// controller every 5 s until configured and every 60 s after.
//
//   u64 nwid | u16 M | M bytes of metadata dictionary
//   | u64 revision held | u64 timestamp held   (both 0 if none; optional)
//
// The metadata tells the controller what the member supports; stock's
// controller reads "revr" (no rules engine: accept-all rules only) and
// "a" (an auth token).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/wire/dictionary.hpp"

namespace flatnet::wire {

struct ConfigRequest {
  uint64_t network_id = 0;
  Dictionary metadata;
  uint64_t have_revision = 0;   // of the config the member holds
  uint64_t have_timestamp = 0;
  bool operator==(const ConfigRequest&) const = default;
};

enum class RequestStatus : uint8_t {
  kOk = 0,
  kTruncated,
  kBadMetadata,  // not a dictionary within kMetadataDictCapacity
};
const char* to_string(RequestStatus s);

// The metadata a stock 1.14 member sends, in its order (v, vend, pv, majv,
// minv, revv, mr, mc, mcr, mt, f, revr, o); `os_arch` as "linux/x86_64".
Dictionary stock_request_metadata(unsigned major, unsigned minor, unsigned revision,
                                  std::string_view os_arch);

// A request without the trailing revision/timestamp (older members) reads
// them as 0.
RequestStatus decode_config_request(std::span<const uint8_t> payload, ConfigRequest& out);
// False if the metadata does not fit kMetadataDictCapacity or has a bad key.
bool encode_config_request(const ConfigRequest& r, std::vector<uint8_t>& out);

}  // namespace flatnet::wire
