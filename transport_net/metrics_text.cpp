#include "transport_net/metrics_text.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace rrseq {
namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names may not use ':'.
[[maybe_unused]] bool valid_name(std::string_view n, bool colon_ok) {  // checked in debug builds
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  return std::all_of(n.begin(), n.end(), [colon_ok](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (colon_ok && c == ':');
  });
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

std::string escape(std::string_view v, bool quotes) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()) &&
         std::adjacent_find(bounds_.begin(), bounds_.end()) == bounds_.end());
}

void Histogram::observe(double value) {
  // The first bound at or above the value: `le` is inclusive.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  ++counts_[static_cast<size_t>(it - bounds_.begin())];
  sum_ += value;
  ++count_;
}

std::string escape_label_value(std::string_view v) { return escape(v, true); }
std::string escape_help(std::string_view v) { return escape(v, false); }

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Plain decimals where they are short ("0.0001", not "1e-04"), exponents beyond.
  const double mag = std::fabs(v);
  const bool plain = mag == 0 || (mag >= 1e-4 && mag < 1e15);
  char buf[64];
  const auto [end, ec] = plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                               : std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void MetricsText::family(std::string_view name, MetricType type, std::string_view help) {
  assert(valid_name(name, true));
  out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type_name(type)).append("\n");
}

void MetricsText::sample_start(std::string_view name, const MetricLabels& labels) {
  assert(valid_name(name, true));
  out_.append(name);
  if (labels.empty()) return;
  out_ += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    assert(valid_name(labels[i].first, false));
    if (i) out_ += ',';
    out_.append(labels[i].first).append("=\"").append(escape_label_value(labels[i].second)).append("\"");
  }
  out_ += '}';
}

void MetricsText::sample(std::string_view name, const MetricLabels& labels, double value) {
  sample_start(name, labels);
  out_.append(" ").append(format_metric_value(value)).append("\n");
}

void MetricsText::sample(std::string_view name, const MetricLabels& labels, uint64_t value) {
  // Integers as integers: a double would round counters past 2^53.
  sample_start(name, labels);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

void MetricsText::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, MetricType::counter, help);
  sample(name, {}, value);
}

void MetricsText::gauge(std::string_view name, std::string_view help, double value) {
  family(name, MetricType::gauge, help);
  sample(name, {}, value);
}

void MetricsText::histogram(std::string_view name, std::string_view help, const Histogram& h) {
  family(name, MetricType::histogram, help);
  const std::string base(name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.upper_bounds().size(); ++i) {
    cumulative += h.bucket_counts()[i];
    sample(base + "_bucket", {{"le", format_metric_value(h.upper_bounds()[i])}}, cumulative);
  }
  sample(base + "_bucket", {{"le", "+Inf"}}, h.count());
  sample(base + "_sum", {}, h.sum());
  sample(base + "_count", {}, h.count());
}

}  // namespace rrseq
