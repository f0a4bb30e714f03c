#include "control/api/prometheus.hpp"

#include <cmath>
#include <cstdio>
#include <string_view>
#include <unordered_map>

namespace flatnet::control::api {

namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names may not hold ':'.
std::string legal_name(std::string_view in, bool colon_ok) {
  std::string out;
  out.reserve(in.size() + 1);
  for (char c : in) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (c >= '0' && c <= '9') || (colon_ok && c == ':');
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

void escape(std::string& out, std::string_view in, bool quotes) {
  for (char c : in) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quotes && c == '"') out += "\\\"";
    else out.push_back(c);
  }
}

void value(std::string& out, double v) {
  if (std::isnan(v)) { out += "NaN"; return; }
  if (std::isinf(v)) { out += v > 0 ? "+Inf" : "-Inf"; return; }
  char b[40];
  // Counters are integers; print them without an exponent up to 2^53.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    std::snprintf(b, sizeof b, "%.0f", v);
  else
    std::snprintf(b, sizeof b, "%.17g", v);
  out += b;
}

}  // namespace

std::string prometheus_text(const std::vector<MetricSample>& samples) {
  // Group by legal name, keeping first-appearance order.
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<const MetricSample*>> by_name;
  for (const auto& s : samples) {
    std::string n = legal_name(s.name, true);
    auto [it, fresh] = by_name.try_emplace(n);
    if (fresh) order.push_back(n);
    it->second.push_back(&s);
  }
  std::string out;
  out.reserve(samples.size() * 96);
  for (const auto& n : order) {
    const auto& group = by_name[n];
    out += "# HELP " + n + " ";
    escape(out, group.front()->help.empty() ? n : group.front()->help, false);
    out += "\n# TYPE " + n + (group.front()->type == MetricType::kGauge ? " gauge\n" : " counter\n");
    for (const MetricSample* s : group) {
      out += n;
      if (!s->labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [k, v] : s->labels) {
          if (!first) out += ',';
          first = false;
          out += legal_name(k, false);
          out += "=\"";
          escape(out, v, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      value(out, s->value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace flatnet::control::api
