#include "control/vl2/membership.hpp"

#include <algorithm>

namespace flatnet::control::vl2 {
namespace {
// Stock keeps at most this many certificates of ownership per member.
constexpr size_t kMaxCoos = 16;
}  // namespace

AddResult Membership::add_com(const wire::CertificateOfMembership& com) {
  const uint64_t ts = com.timestamp();
  if (ts <= com_revoked_below_) return AddResult::kRejected;
  if (com_ && ts < com_->timestamp()) return AddResult::kRejected;
  if (com_ && *com_ == com) return AddResult::kRedundant;
  com_ = com;
  return AddResult::kAccepted;
}

AddResult Membership::add_capability(const wire::Capability& cap) {
  auto rv = revoked_.find({uint8_t(wire::CredentialType::kCapability), cap.id});
  if (rv != revoked_.end() && cap.timestamp <= rv->second) return AddResult::kRejected;
  auto it = caps_.find(cap.id);
  if (it != caps_.end()) {
    if (cap.timestamp < it->second.timestamp) return AddResult::kRejected;
    if (it->second == cap) return AddResult::kRedundant;
  } else if (caps_.size() >= wire::kNetworkMaxCapabilities) {
    return AddResult::kRejected;
  }
  caps_[cap.id] = cap;
  return AddResult::kAccepted;
}

AddResult Membership::add_tag(const wire::Tag& tag) {
  auto rv = revoked_.find({uint8_t(wire::CredentialType::kTag), tag.id});
  if (rv != revoked_.end() && tag.timestamp <= rv->second) return AddResult::kRejected;
  auto it = tags_.find(tag.id);
  if (it != tags_.end()) {
    if (tag.timestamp < it->second.timestamp) return AddResult::kRejected;
    if (it->second == tag) return AddResult::kRedundant;
  } else if (tags_.size() >= wire::kNetworkMaxTags) {
    return AddResult::kRejected;
  }
  tags_[tag.id] = tag;
  return AddResult::kAccepted;
}

AddResult Membership::add_coo(const wire::CertificateOfOwnership& coo) {
  for (auto& c : coos_) {
    if (c.id != coo.id) continue;
    if (coo.timestamp < c.timestamp) return AddResult::kRejected;
    if (c == coo) return AddResult::kRedundant;
    c = coo;
    return AddResult::kAccepted;
  }
  if (coos_.size() >= kMaxCoos) return AddResult::kRejected;
  coos_.push_back(coo);
  return AddResult::kAccepted;
}

AddResult Membership::revoke(const wire::Revocation& rev) {
  switch (rev.type) {
    case wire::CredentialType::kCom:
      if (rev.threshold <= com_revoked_below_) return AddResult::kRedundant;
      com_revoked_below_ = rev.threshold;
      return AddResult::kAccepted;
    case wire::CredentialType::kCapability:
    case wire::CredentialType::kTag:
    case wire::CredentialType::kCoo: {
      uint64_t& t = revoked_[{uint8_t(rev.type), rev.credential_id}];
      if (rev.threshold <= t) return AddResult::kRedundant;
      t = rev.threshold;
      // Stock 1.14.1 also raises the COM threshold here, so revoking any
      // credential of a member cuts it off until it shows a newer COM. Kept
      // for the same behaviour beside stock members.
      com_revoked_below_ = std::max(com_revoked_below_, rev.threshold);
      if (rev.type == wire::CredentialType::kCapability) {
        auto it = caps_.find(rev.credential_id);
        if (it != caps_.end() && it->second.timestamp <= t) caps_.erase(it);
      } else if (rev.type == wire::CredentialType::kTag) {
        auto it = tags_.find(rev.credential_id);
        if (it != tags_.end() && it->second.timestamp <= t) tags_.erase(it);
      } else {
        std::erase_if(coos_, [&](const auto& c) {
          return c.id == rev.credential_id && c.timestamp <= t;
        });
      }
      return AddResult::kAccepted;
    }
    default:
      return AddResult::kRejected;
  }
}

bool Membership::admits(const wire::NetworkConfig& ours, const crypto::Identity& identity) const {
  if (!com_ || !ours.com) return false;
  if (com_->timestamp() <= com_revoked_below_) return false;
  return wire::com_agrees_with(*ours.com, *com_, [&] {
    if (!identity_words_ || identity_words_->key != identity.public_key())
      identity_words_ = IdentityWords{identity.public_key(), wire::com_identity_words(identity)};
    return identity_words_->words;
  });
}

namespace {
// Stock's _isCredentialTimestampValid (revoked ones are already gone).
bool in_window(uint64_t ts, const wire::NetworkConfig& ours) {
  const uint64_t d = ts >= ours.timestamp ? ts - ours.timestamp : ours.timestamp - ts;
  return d <= ours.credential_time_max_delta;
}
}  // namespace

std::vector<::flatnet::vl2::TagValue> Membership::tags(const wire::NetworkConfig& ours) const {
  std::vector<::flatnet::vl2::TagValue> v;
  for (const auto& [id, t] : tags_)
    if (in_window(t.timestamp, ours)) v.push_back({id, t.value});
  return v;
}

std::vector<std::span<const wire::Rule>> Membership::capability_rules(
    const wire::NetworkConfig& ours) const {
  std::vector<std::span<const wire::Rule>> v;
  for (const auto& [id, cap] : caps_)
    if (in_window(cap.timestamp, ours)) v.emplace_back(cap.rules);
  return v;
}

std::vector<wire::CertificateOfOwnership> Membership::coos(const wire::NetworkConfig& ours) const {
  std::vector<wire::CertificateOfOwnership> v;
  for (const auto& c : coos_)
    if (in_window(c.timestamp, ours)) v.push_back(c);
  return v;
}

}  // namespace flatnet::control::vl2
