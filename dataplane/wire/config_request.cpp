// NETWORK_CONFIG_REQUEST payload codec (see config_request.hpp).
#include "dataplane/wire/config_request.hpp"

#include "dataplane/wire/bytes.hpp"
#include "dataplane/wire/capability.hpp"
#include "dataplane/wire/network_config.hpp"

namespace flatnet::wire {

const char* to_string(RequestStatus s) {
  switch (s) {
    case RequestStatus::kOk: return "ok";
    case RequestStatus::kTruncated: return "config request truncated";
    case RequestStatus::kBadMetadata: return "bad config request metadata";
  }
  return "?";
}

Dictionary stock_request_metadata(unsigned major, unsigned minor, unsigned revision,
                                  std::string_view os_arch) {
  Dictionary d;
  d.add_u64("v", kNetworkConfigVersion);
  d.add_u64("vend", 1);   // ZT_VENDOR_ZEROTIER
  d.add_u64("pv", 12);    // ZT_PROTO_VERSION
  d.add_u64("majv", major);
  d.add_u64("minv", minor);
  d.add_u64("revv", revision);
  d.add_u64("mr", kNetworkMaxRules);
  d.add_u64("mc", kNetworkMaxCapabilities);
  d.add_u64("mcr", kCapabilityMaxRules);
  d.add_u64("mt", kNetworkMaxTags);
  d.add_u64("f", 0);
  d.add_u64("revr", 1);   // ZT_RULES_ENGINE_REVISION
  d.add("o", os_arch);
  return d;
}

RequestStatus decode_config_request(std::span<const uint8_t> payload, ConfigRequest& out) {
  out = ConfigRequest();
  Reader r(payload);
  out.network_id = r.u64();
  const auto meta = r.view(r.u16());
  if (!r.ok()) return RequestStatus::kTruncated;
  if (parse_dictionary(meta, out.metadata, kMetadataDictCapacity) != DictStatus::kOk)
    return RequestStatus::kBadMetadata;
  if (r.remaining() >= 16) {
    out.have_revision = r.u64();
    out.have_timestamp = r.u64();
  }
  return RequestStatus::kOk;
}

bool encode_config_request(const ConfigRequest& q, std::vector<uint8_t>& out) {
  std::vector<uint8_t> meta;
  if (encode_dictionary(q.metadata, meta, kMetadataDictCapacity) != DictStatus::kOk) return false;
  Writer w(out);
  w.u64(q.network_id);
  w.u16(uint16_t(meta.size()));
  w.bytes(meta);
  w.u64(q.have_revision);
  w.u64(q.have_timestamp);
  return w.ok();
}

}  // namespace flatnet::wire
