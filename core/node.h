#pragma once
// One RRSeq node: acceptor + proposer for many named sequences, as a pure state
// machine (quinn-proto style). Drivers feed it inputs with the current time and
// drain its outputs; it never reads a clock, a socket or a file.
//
// Inputs:  peer message, client request, timer fired, sync done.
// Outputs: messages to peers, replies to clients, records to append, a sync to
//          start, the next deadline.
//
// Durability (G6): every answer that reports acceptor state leaves the node only
// after the records behind it are synced (durable mode). Records written while a
// sync runs are covered by the next one: one sync for many records (group commit).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/acceptor.h"
#include "core/durable_state.h"
#include "core/messages.h"
#include "core/node_config.h"
#include "core/node_stats.h"
#include "core/proposer.h"
#include "core/rejoin.h"
#include "core/rng.h"

namespace rrseq {

struct ClientSend {
  ConnId conn = 0;
  ClientReply reply;
};

struct NodeOutput {
  std::vector<PeerSend> peer_sends;
  std::vector<ClientSend> client_sends;
  std::vector<std::string> records;  // encoded StorageRecords to append, in order
  std::optional<uint64_t> sync;      // start a sync covering all appended records; report its id
  std::vector<std::string> log;      // readable events for the node's log
  bool empty() const {
    return peer_sends.empty() && client_sends.empty() && records.empty() && !sync && log.empty();
  }
};

class Node {
 public:
  // `recovered` is what storage held (empty for memory mode or a wiped directory).
  Node(NodeConfig cfg, DurableState recovered, uint64_t rng_seed, TimeUs now);
  Node(const Node&) = delete;  // the proposer holds references into the node
  Node& operator=(const Node&) = delete;

  void on_peer_message(uint32_t from, const PeerMessage& msg, TimeUs now);
  void on_client_request(ConnId conn, const ClientRequest& req, TimeUs now);
  void on_timer(TimeUs now);
  void on_synced(uint64_t sync_id, TimeUs now);

  NodeOutput take_output();
  std::optional<TimeUs> next_timer() const;

  bool serving() const { return phase_ == Phase::serving; }
  const char* phase_name() const;  // "starting", "rejoining" or "serving"
  size_t queued_requests() const { return proposer_.queued(); }
  const NodeStats& stats() const { return stats_; }
  uint64_t incarnation() const { return acceptor_.state().incarnation; }
  const Acceptor& acceptor() const { return acceptor_; }
  const NodeConfig& config() const { return cfg_; }

 private:
  enum class Phase { starting, rejoining, serving };

  void handle_acceptor_message(uint32_t from, const PeerMessage& msg, TimeUs now);
  void persist(std::vector<StorageRecord>& records);
  void send_gated(uint32_t to, PeerMessage msg);  // waits for every record so far to be synced
  void send(uint32_t to, PeerMessage msg);
  void request_sync();
  void finish_rejoin(const RejoinOutcome& outcome, TimeUs now);
  // rejoin.h, step 4: a peer knows a life of this node with epoch `live`.
  void note_own_life(uint32_t live, TimeUs now);
  // Serving starts once the incarnation record is durable: a ballot must never
  // be issued by an incarnation that a crash could make the node forget.
  void start_incarnation(uint64_t incarnation, std::vector<StorageRecord>& records);
  void flush(ProposerOutput& po);
  void reply_client(ConnId conn, const ClientRequest& req, Status st, uint32_t redirect_to = 0);
  void count_reply(const ClientReply& reply);

  NodeConfig cfg_;
  NodeStats stats_;  // before proposer_, which counts into it
  Rng rng_;
  Acceptor acceptor_;
  Phase phase_ = Phase::starting;
  std::optional<Rejoin> rejoin_;
  Proposer proposer_;

  // Durability bookkeeping (durable mode only).
  uint64_t records_appended_ = 0;
  uint64_t records_synced_ = 0;
  std::optional<uint64_t> sync_in_flight_;  // id of the running sync
  uint64_t sync_in_flight_covers_ = 0;      // records_appended_ when it started
  uint64_t next_sync_id_ = 1;
  uint64_t serve_after_records_ = 0;  // phase starting: records that must be synced first
  struct Gated {
    uint64_t after_records;
    uint32_t to;
    PeerMessage msg;
  };
  std::deque<Gated> gated_;

  NodeOutput out_;
};

}  // namespace rrseq
