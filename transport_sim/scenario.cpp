#include "transport_sim/scenario.h"

#include <ostream>
#include <sstream>

namespace rrseq {

const char* fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::crash: return "crash";
    case FaultKind::crash_wipe: return "crash-wipe";
    case FaultKind::restart: return "restart";
    case FaultKind::cut: return "cut";
    case FaultKind::heal: return "heal";
    case FaultKind::client_crash: return "client-crash";
    case FaultKind::client_restart: return "client-restart";
    case FaultKind::crash_after_ack: return "crash-after-ack";
    case FaultKind::crash_in_sync: return "crash-in-sync";
    case FaultKind::slow_link: return "slow-link";
    case FaultKind::pause: return "pause";
    case FaultKind::client_pause: return "client-pause";
    case FaultKind::wipe_after_promise: return "wipe-after-promise";
    case FaultKind::crash_in_rejoin: return "crash-in-rejoin";
    case FaultKind::power_loss: return "power-loss";
    case FaultKind::disk_full: return "disk-full";
    case FaultKind::disk_freed: return "disk-freed";
    case FaultKind::crash_in_compaction: return "crash-in-compaction";
    case FaultKind::corrupt_log: return "corrupt-log";
    case FaultKind::crash_after_compaction: return "crash-after-compaction";
  }
  return "?";
}

std::string Scenario::describe() const {
  std::ostringstream o;
  o << "nodes=" << nodes << " protocol=" << protocol_name(protocol) << (durable ? " durable" : " memory")
    << (speedups.combine ? "" : " no-combine") << (speedups.fast_path ? "" : " no-fast-path")
    << (speedups.group_commit ? "" : " no-group-commit") << (share_requests ? "" : " no-share-requests")
    << (keep_ahead ? "" : " no-keep-ahead")
    << " clients=[";
  for (size_t i = 0; i < clients.size(); ++i) {
    o << (i ? " " : "") << "buf" << clients[i].buf_size << "@n" << clients[i].first_server
      << (clients[i].affinity ? "+aff" : "") << (clients[i].adaptive ? "+adapt" : "")
      << (clients[i].follow_redirects_before_heal ? "" : "-redirect")
      << (clients[i].callers > 1 ? "x" + std::to_string(clients[i].callers) : "");
  }
  o << "]";
  if (readers > 0) {
    o << " readers=" << readers << (advances ? "+advance" : "") << "/" << reader_think_max_us << "us";
    if (reader_node) o << "@n" << *reader_node;
  }
  o << " net: loss=" << net.loss_ppm << "ppm dup=" << net.dup_ppm << "ppm tail=" << net.tail_ppm << "ppm/"
    << net.tail_max_us << "us; disk: slow=" << disk.slow_ppm << "ppm tear=" << (disk.tear ? "yes" : "no")
    << " reorder=" << (disk.reorder ? "yes" : "no") << " lose-dir-ops=" << (disk.lose_dir_ops ? "yes" : "no")
    << " eio=" << disk.sync_eio_ppm << "ppm slow-nodes=" << disk.slow_nodes << "@" << disk.slow_sync_min_us
    << "-" << disk.slow_sync_max_us << "us compact>" << disk.compact_log_bytes << "B"
    << "; skew<=" << skew_ppm_max << "ppm; heal at " << heal_us << "us\n";
  for (const auto& f : faults) describe_fault(o, f, "  ");
  auto list = [&](const char* what, const std::vector<uint32_t>& v, const char* prefix) {
    if (v.empty()) return;
    o << "  " << what << ":";
    for (uint32_t x : v) o << " " << prefix << x;
    o << "\n";
  };
  list("never started at time 0", partial.absent, "n");
  list("down after the final heal", partial.final_down, "n");
  list("isolated after the final heal", partial.final_isolated, "n");
  list("cut off from the majority after the final heal", partial.final_cut_clients, "c");
  return o.str();
}

void describe_fault(std::ostream& o, const FaultEvent& f, const std::string& indent) {
  o << indent << (indent.size() > 2 ? "+" : "") << f.at_us << "us " << fault_kind_name(f.kind) << " " << f.a;
  if (f.kind == FaultKind::cut || f.kind == FaultKind::slow_link) o << "->" << f.b;
  if (f.kind == FaultKind::wipe_after_promise) o << " after promising to " << f.b;
  if ((f.kind == FaultKind::crash_after_ack || f.kind == FaultKind::crash_in_rejoin) && f.b) o << " wipe";
  if (f.kind == FaultKind::slow_link) o << " +" << f.us << "us";
  if (f.kind == FaultKind::pause || f.kind == FaultKind::client_pause) o << " for " << f.us << "us";
  if (f.kind == FaultKind::disk_full) o << " room " << f.b << "B";
  if (f.kind == FaultKind::crash_in_compaction) o << " after " << f.b << " writes";
  o << "\n";
  for (const auto& g : f.then) describe_fault(o, g, indent + "  ");
}

}  // namespace rrseq
