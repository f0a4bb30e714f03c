#include "control/api/controller_rules.hpp"

#include <cstdio>
#include <string>

#include "control/api/stock_json.hpp"

namespace flatnet::control::api {

using nlohmann::json;

namespace {

const json& field(const json& r, const char* key) {
  static const json null_value;
  auto it = r.find(key);
  return it == r.end() ? null_value : *it;
}

uint64_t uint_field(const json& r, const char* key, uint64_t dflt, uint64_t mask) {
  return stock::to_uint(field(r, key), dflt) & mask;
}

std::string address_field(const json& r, const char* key) {
  return stock::hex10(stock::hex_to_uint(stock::to_string(field(r, key), "0")));
}

// MAC text with ':' and '-' removed, read as hex pairs into six bytes (a
// non-hex digit counts as 0, missing bytes stay 0), as stock reads it.
std::string mac_field(const json& r) {
  std::string s;
  for (char c : stock::to_string(field(r, "mac"), "0"))
    if (c != ':' && c != '-') s.push_back(c);
  auto nibble = [](unsigned char c) -> unsigned {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  uint8_t mac[6] = {};
  for (size_t l = 0, i = 0; l < 6; ++l) {
    if (i >= s.size() || s[i] == 0) break;
    unsigned c = nibble((unsigned char)s[i++]);
    if (i >= s.size() || s[i] == 0) break;
    mac[l] = uint8_t((c << 4) | nibble((unsigned char)s[i++]));
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%.2x:%.2x:%.2x:%.2x:%.2x:%.2x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

// "ip/bits" of an IPv4 (v6 = false) or IPv6 match. Stock reads the parsed
// address through the other family's structure when the text is of the
// other family, which yields an all-zero address with the same bits.
std::string ip_field(const json& r, bool v6) {
  stock::Inet a = stock::parse_inet(stock::to_string(field(r, "ip"), v6 ? "::0" : "0.0.0.0"));
  if (a.family != (v6 ? 6 : 4)) a.ip.fill(0);
  a.family = v6 ? 6 : 4;
  a.port = a.port & 0xff;
  if (a.port > (v6 ? 128u : 32u)) a.port = v6 ? 128 : 32;
  return stock::ip_slash_port(a);
}

void range(json& out, const json& r, uint64_t mask) {
  const uint64_t start = uint_field(r, "start", 0, mask);
  out["start"] = start;
  out["end"] = uint_field(r, "end", start, mask);
}

}  // namespace

std::optional<json> stock_rule(const json& r) {
  if (!r.is_object()) return std::nullopt;
  const std::string t = stock::to_string(field(r, "type"), "");
  json out = json::object();
  out["type"] = t;
  // Actions: no not/or in stock's rendering.
  if (t == "ACTION_DROP" || t == "ACTION_ACCEPT" || t == "ACTION_BREAK") return out;
  if (t == "ACTION_TEE" || t == "ACTION_WATCH" || t == "ACTION_REDIRECT") {
    out["address"] = address_field(r, "address");
    out["flags"] = uint_field(r, "flags", 0, 0xffffffffull);
    if (t != "ACTION_REDIRECT") out["length"] = uint_field(r, "length", 0, 0xffff);
    return out;
  }
  if (t == "MATCH_SOURCE_ZEROTIER_ADDRESS" || t == "MATCH_DEST_ZEROTIER_ADDRESS") {
    out["zt"] = address_field(r, "zt");
  } else if (t == "MATCH_VLAN_ID") {
    out["vlanId"] = uint_field(r, "vlanId", 0, 0xffff);
  } else if (t == "MATCH_VLAN_PCP") {
    out["vlanPcp"] = uint_field(r, "vlanPcp", 0, 0xff);
  } else if (t == "MATCH_VLAN_DEI") {
    out["vlanDei"] = uint_field(r, "vlanDei", 0, 0xff);
  } else if (t == "MATCH_MAC_SOURCE" || t == "MATCH_MAC_DEST") {
    out["mac"] = mac_field(r);
  } else if (t == "MATCH_IPV4_SOURCE" || t == "MATCH_IPV4_DEST") {
    out["ip"] = ip_field(r, false);
  } else if (t == "MATCH_IPV6_SOURCE" || t == "MATCH_IPV6_DEST") {
    out["ip"] = ip_field(r, true);
  } else if (t == "MATCH_IP_TOS") {
    out["mask"] = uint_field(r, "mask", 0, 0xff);
    out["start"] = uint_field(r, "start", 0, 0xff);
    out["end"] = uint_field(r, "end", 0, 0xff);
  } else if (t == "MATCH_IP_PROTOCOL") {
    out["ipProtocol"] = uint_field(r, "ipProtocol", 0, 0xff);
  } else if (t == "MATCH_ETHERTYPE") {
    out["etherType"] = uint_field(r, "etherType", 0, 0xffff);
  } else if (t == "MATCH_ICMP") {
    out["icmpType"] = uint_field(r, "icmpType", 0, 0xff);
    const json& code = field(r, "icmpCode");
    out["icmpCode"] = code.is_null() ? json() : json(stock::to_uint(code, 0) & 0xff);
  } else if (t == "MATCH_IP_SOURCE_PORT_RANGE" || t == "MATCH_IP_DEST_PORT_RANGE" ||
             t == "MATCH_FRAME_SIZE_RANGE") {
    range(out, r, 0xffff);
  } else if (t == "MATCH_CHARACTERISTICS") {
    uint64_t mask = 0;
    if (auto it = r.find("mask"); it != r.end())
      mask = it->is_number() ? stock::to_uint(*it, 0) : stock::hex_to_uint(it->get<std::string>());
    out["mask"] = stock::hex16(mask);
  } else if (t == "MATCH_RANDOM") {
    out["probability"] = uint_field(r, "probability", 0, 0xffffffffull);
  } else if (t == "MATCH_TAGS_DIFFERENCE" || t == "MATCH_TAGS_BITWISE_AND" ||
             t == "MATCH_TAGS_BITWISE_OR" || t == "MATCH_TAGS_BITWISE_XOR" ||
             t == "MATCH_TAGS_EQUAL" || t == "MATCH_TAG_SENDER" || t == "MATCH_TAG_RECEIVER") {
    out["id"] = uint_field(r, "id", 0, 0xffffffffull);
    out["value"] = uint_field(r, "value", 0, 0xffffffffull);
  } else {
    return std::nullopt;  // unknown, or INTEGER_RANGE (see the header)
  }
  out["not"] = stock::to_bool(field(r, "not"), false);
  out["or"] = stock::to_bool(field(r, "or"), false);
  return out;
}

}  // namespace flatnet::control::api
