// Stock zerotier-one's lenient reading of request JSON, as its controller API
// applies it to POST bodies: numbers, booleans and strings coerced into one
// another, IP addresses parsed the forgiving way. The /controller routes use
// these so a body gives the same record as on stock (docs/controller-api.md);
// the stored records themselves are read strictly (control/controller/).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace flatnet::control::api::stock {

// A number (cast to unsigned, wrapping), a decimal string (strtoull), a
// boolean (0/1); anything else `dflt`.
uint64_t to_uint(const nlohmann::json& v, uint64_t dflt);
// A boolean; a number > 0 (after the unsigned cast); a string starting with
// t, T or 1; any other string false; anything else `dflt`.
bool to_bool(const nlohmann::json& v, bool dflt);
// A string; a number as unsigned decimal; a boolean as "1"/"0"; else `dflt`.
std::string to_string(const nlohmann::json& v, const std::string& dflt);
// strtoull(s, 16): leading hex digits, 0 if none.
uint64_t hex_to_uint(const std::string& s);

// An address as stock's InetAddress::fromString reads "ip[/port]": a ':'
// makes it IPv6 and a '.' IPv4 whether or not the rest parses (unparsable
// bytes stay zero); neither, empty or 64+ characters: no family. The port
// (prefix bits in routes and rules) is the decimal after the first '/',
// masked to 16 bits.
struct Inet {
  int family = 0;  // 0, 4 or 6
  std::array<uint8_t, 16> ip{};
  unsigned port = 0;
};
Inet parse_inet(const std::string& s);
std::string ip_string(const Inet& a);         // "10.0.0.1", "" without a family
std::string ip_slash_port(const Inet& a);     // "10.0.0.0/24", "" without a family
// Whether the port read as prefix bits fits the family (<= 32 or <= 128).
bool prefix_valid(const Inet& a);

// Stock's hex10 / "%.16llx" renderings.
std::string hex10(uint64_t v);
std::string hex16(uint64_t v);

}  // namespace flatnet::control::api::stock
