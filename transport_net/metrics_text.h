#pragma once
// Prometheus text exposition format, version 0.0.4: a builder that writes
// metric families (# HELP, # TYPE, then samples) and a fixed-bucket histogram.
// Names are the program's own constants; label values may come from anywhere
// and are escaped.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rrseq {

inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Counts observations into buckets with fixed upper bounds (inclusive, as
// Prometheus' `le`), plus one overflow bucket. Not thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // strictly increasing, finite
  void observe(double value);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Observations per bucket, not cumulative; the last entry is over every bound.
  const std::vector<uint64_t>& bucket_counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

enum class MetricType { counter, gauge, histogram };

class MetricsText {
 public:
  // Starts a family: its # HELP and # TYPE lines. Samples of it follow.
  void family(std::string_view name, MetricType type, std::string_view help);
  void sample(std::string_view name, const MetricLabels& labels, double value);
  void sample(std::string_view name, const MetricLabels& labels, uint64_t value);
  // A family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  // A whole histogram family: cumulative _bucket samples up to le="+Inf", _sum, _count.
  void histogram(std::string_view name, std::string_view help, const Histogram& h);

  const std::string& text() const { return out_; }

 private:
  void sample_start(std::string_view name, const MetricLabels& labels);
  std::string out_;
};

// Escaping as the format asks: label values escape \, " and newline; help
// text escapes \ and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// A sample value: shortest text that reads back as the same double; +Inf, -Inf, NaN.
std::string format_metric_value(double v);

}  // namespace rrseq
