// MetricSample list -> Prometheus text exposition format 0.0.4: one
// "# HELP" and "# TYPE" line per metric name, then its samples.
#pragma once

#include <string>
#include <vector>

#include "control/service/status.hpp"

namespace flatnet::control::api {

// Samples sharing a name are grouped under one HELP/TYPE (the first
// sample's), in order of first appearance. Names and label names are made
// legal by replacing bad characters with '_'; label values and help text are
// escaped.
std::string prometheus_text(const std::vector<MetricSample>& samples);

}  // namespace flatnet::control::api
