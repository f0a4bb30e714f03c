// A route on the tap as flatnet manages it: destination prefix (port field =
// prefix bits, as network configs carry it), gateway or null for on-link,
// metric (0 = the kernel's default for the family).
#pragma once

#include <cstdint>

#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::port {

struct Route {
  wire::InetAddress target;
  wire::InetAddress via;  // null: on-link through the tap
  uint32_t metric = 0;

  // Same destination and gateway; the metric is compared only when both
  // name one (the kernel reports IPv6's default as 1024).
  bool same_as(const Route& o) const {
    return target == o.target && via == o.via &&
           (metric == 0 || o.metric == 0 || metric == o.metric);
  }
  bool operator==(const Route& o) const = default;
  bool operator<(const Route& o) const {
    if (!(target == o.target)) return target < o.target;
    if (!(via == o.via)) return via < o.via;
    return metric < o.metric;
  }
};

}  // namespace flatnet::control::port
