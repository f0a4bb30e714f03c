// How both backends lay a record out in a row: members keep the fields a
// controller looks up or counts as columns and the rest of their JSON in
// `doc`; networks are their JSON. Each record is first made canonical (read
// back as the model reads a stored record), so a bad value a caller put into
// a typed record is refused before anything is written, and two puts of the
// same content compare equal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "control/controller/member.hpp"
#include "control/controller/network.hpp"

namespace flatnet::control::controller::store {

struct MemberRow {
  std::string nwid;  // 16 hex digits: sorts in numeric order, fits no signed 64-bit column
  int64_t address = 0;
  int64_t revision = 0;
  int64_t authorized = 0;
  int64_t active_bridge = 0;
  std::optional<std::string> identity;
  int64_t last_authorized_time = 0;
  int64_t last_deauthorized_time = 0;
  std::string doc;
  bool operator==(const MemberRow&) const = default;
};

MemberRow encode_member(const Member& m);
bool decode_member(const MemberRow& r, Member& out, std::string* err);
bool canonical_member(const Member& in, Member& out, std::string* err);
bool canonical_network(const Network& in, Network& out, std::string* err);
// The revision field of a stored network document, if it has one.
std::optional<uint64_t> stored_network_revision(const std::string& doc);

}  // namespace flatnet::control::controller::store
