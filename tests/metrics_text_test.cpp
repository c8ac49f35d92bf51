// The Prometheus text renderer: families, escaping, histograms.
#include "transport_net/metrics_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rrseq {
namespace {

TEST(MetricsText, CounterIsHelpTypeAndOneSample) {
  MetricsText m;
  m.counter("rrseq_grants_total", "Client requests answered.", 42);
  EXPECT_EQ(m.text(),
            "# HELP rrseq_grants_total Client requests answered.\n"
            "# TYPE rrseq_grants_total counter\n"
            "rrseq_grants_total 42\n");
}

TEST(MetricsText, LabelsAreQuotedAndSeparatedByCommas) {
  MetricsText m;
  m.family("x", MetricType::gauge, "h");
  m.sample("x", {{"a", "1"}, {"b", "two"}}, uint64_t{7});
  EXPECT_EQ(m.text(), "# HELP x h\n# TYPE x gauge\nx{a=\"1\",b=\"two\"} 7\n");
}

TEST(MetricsText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("plain-name_1.2"), "plain-name_1.2");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  MetricsText m;
  m.sample("x", {{"sequence", "q\"\n\\"}}, uint64_t{1});
  EXPECT_EQ(m.text(), "x{sequence=\"q\\\"\\n\\\\\"} 1\n");
}

TEST(MetricsText, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
}

TEST(MetricsText, LargeCountersAreExactIntegers) {
  MetricsText m;
  m.sample("x", {}, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(m.text(), "x 18446744073709551615\n");
}

TEST(MetricsText, FloatValuesAreShortAndSpecialValuesSpelledOut) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(0.0001), "0.0001");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(3), "3");
  EXPECT_EQ(format_metric_value(-1.5), "-1.5");
  EXPECT_EQ(format_metric_value(1e-7), "1e-07");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
}

TEST(Histogram, BoundsAreInclusiveAndOverflowHasItsOwnBucket) {
  Histogram h({0.001, 0.01, 0.1});
  h.observe(0.001);   // on the bound: le="0.001"
  h.observe(0.005);
  h.observe(0.05);
  h.observe(0.05);
  h.observe(2);       // above every bound
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{1, 1, 2, 1}));
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.sum(), 2.106);
}

TEST(MetricsText, HistogramHasCumulativeBucketsInfSumAndCount) {
  Histogram h({0.0001, 0.001, 1});
  h.observe(0.00005);
  h.observe(0.0005);
  h.observe(0.0005);
  h.observe(5);
  MetricsText m;
  m.histogram("rrseq_fsync_seconds", "fsync time.", h);
  EXPECT_EQ(m.text(),
            "# HELP rrseq_fsync_seconds fsync time.\n"
            "# TYPE rrseq_fsync_seconds histogram\n"
            "rrseq_fsync_seconds_bucket{le=\"0.0001\"} 1\n"
            "rrseq_fsync_seconds_bucket{le=\"0.001\"} 3\n"
            "rrseq_fsync_seconds_bucket{le=\"1\"} 3\n"
            "rrseq_fsync_seconds_bucket{le=\"+Inf\"} 4\n"
            "rrseq_fsync_seconds_sum 5.00105\n"
            "rrseq_fsync_seconds_count 4\n");
}

TEST(MetricsText, EmptyHistogramStillListsEveryBucket) {
  MetricsText m;
  m.histogram("h", "x", Histogram({1, 2}));
  EXPECT_EQ(m.text(),
            "# HELP h x\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\nh_bucket{le=\"2\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
            "h_sum 0\nh_count 0\n");
}

}  // namespace
}  // namespace rrseq
