#include "transport_net/server_metrics.h"

namespace rrseq {

Histogram make_fsync_histogram() {
  return Histogram({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
}

std::string render_server_metrics(const Node& node, const ServerGauges& g, const Histogram& fsync_seconds) {
  const NodeStats& st = node.stats();
  const NodeConfig& cfg = node.config();
  MetricsText m;

  m.family("rrseq_node_info", MetricType::gauge, "This node: its index, the cluster size, protocol and storage; always 1.");
  m.sample("rrseq_node_info",
           {{"node", std::to_string(cfg.self)},
            {"nodes", std::to_string(cfg.nodes)},
            {"protocol", protocol_name(cfg.protocol)},
            {"storage", cfg.durable ? "durable" : "memory"}},
           uint64_t{1});
  m.family("rrseq_node_phase", MetricType::gauge, "1 for the phase the node is in: starting, rejoining or serving.");
  for (const char* phase : {"starting", "rejoining", "serving"}) {
    m.sample("rrseq_node_phase", {{"phase", phase}}, uint64_t{std::string(phase) == node.phase_name()});
  }

  m.counter("rrseq_grants_total", "Client requests answered with a range of IDs.", st.grants);
  m.counter("rrseq_ids_granted_total", "IDs in the ranges granted to clients.", st.ids_granted);
  m.family("rrseq_client_replies_total", MetricType::counter, "Replies to client requests, by status.");
  for (size_t i = 0; i < st.replies.size(); ++i) {
    const auto status = static_cast<Status>(i);
    const uint64_t n = st.replies[i] + (status == Status::too_many_requests ? g.too_many_requests : 0);
    m.sample("rrseq_client_replies_total", {{"status", status_name(status)}}, n);
  }
  m.family("rrseq_rounds_total", MetricType::counter,
           "Proposer phases started: prepare (classic: read) and accept (classic: write).");
  m.sample("rrseq_rounds_total", {{"phase", "prepare"}}, st.prepare_phases);
  m.sample("rrseq_rounds_total", {{"phase", "accept"}}, st.accept_phases);
  m.counter("rrseq_fast_path_accepts_total", "Accept phases that skipped their prepare (fast path).",
            st.fast_path_accepts);
  m.counter("rrseq_ballot_conflicts_total", "Rounds this proposer lost to a higher ballot (a nack).",
            st.ballot_conflicts);
  m.counter("rrseq_round_timeouts_total", "Rounds without a quorum by their deadline.", st.round_timeouts);
  m.counter("rrseq_retries_total", "Rounds started again after the sequence's previous round failed.",
            st.retries);
  m.counter("rrseq_nacks_sent_total", "Prepares and accepts this node's acceptor refused.", st.nacks_sent);
  m.counter("rrseq_stale_answers_dropped_total",
            "Promises and accept acks not counted: sent by a node in a life it has since replaced.",
            st.stale_answers_dropped);
  m.gauge("rrseq_queued_requests", "Client requests waiting for a round.", static_cast<double>(node.queued_requests()));

  m.gauge("rrseq_peers", "Other nodes in the cluster.", g.peers);
  m.gauge("rrseq_peers_up", "Other nodes this node is connected to.", g.peers_up);
  m.gauge("rrseq_connections_open", "Accepted client and peer connections open.",
          static_cast<double>(g.connections_open));
  m.counter("rrseq_client_connections_refused_total", "Client connections closed at their Hello: too many open.",
            g.client_connections_refused);
  m.counter("rrseq_metrics_connections_refused_total", "Metrics connections closed at accept: too many open.",
            g.metrics_connections_refused);
  m.gauge("rrseq_log_bytes", "Size of the data log in bytes (0 in memory mode).", static_cast<double>(g.log_bytes));
  m.histogram("rrseq_fsync_seconds", "Time the log's fdatasync took (durable mode).", fsync_seconds);

  const auto& seqs = node.acceptor().state().sequences;
  m.gauge("rrseq_sequences", "Sequences this node's acceptor holds.", static_cast<double>(seqs.size()));
  m.family("rrseq_sequence_high_water_mark", MetricType::gauge,
           "Upper bound (exclusive) of the latest range this node accepted for the sequence; "
           "nodes may lag, the highest across the cluster bounds every ID granted.");
  for (const auto& [name, s] : seqs) m.sample("rrseq_sequence_high_water_mark", {{"sequence", name}}, s.value);
  return m.text();
}

}  // namespace rrseq
