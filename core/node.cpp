#include "core/node.h"

#include <type_traits>

#include "core/codec.h"
#include "core/invariant.h"
#include "core/limits.h"

namespace rrseq {

const char* protocol_name(Protocol p) { return p == Protocol::ballot ? "ballot" : "classic"; }

Node::Node(NodeConfig cfg, DurableState recovered, uint64_t rng_seed, TimeUs now)
    : cfg_(cfg), rng_(rng_seed), acceptor_(std::move(recovered), cfg.self), proposer_(cfg_, acceptor_, rng_, stats_) {
  if (acceptor_.state().nonce == 0) {
    // This life's (memory) or directory's (durable) identity, durable before any
    // EpochReply names it (replies are gated on sync).
    std::vector<StorageRecord> records;
    acceptor_.mutable_state().nonce = rng_.next() | 1;
    records.push_back(NonceRecord{acceptor_.state().nonce});
    persist(records);
  }
  const DurableState& st = acceptor_.state();
  if (st.initialized) {
    out_.log.push_back("recovered " + std::to_string(st.sequences.size()) + " sequences");
    std::vector<StorageRecord> records;
    start_incarnation(make_incarnation(incarnation_epoch(st.incarnation),
                                       incarnation_boot(st.incarnation) + 1),
                      records);
    persist(records);
    if (!cfg_.durable) phase_ = Phase::serving;
    return;
  }
  phase_ = Phase::rejoining;
  out_.log.push_back(cfg_.lost_state
                         ? "lost its state: rejoining from a majority of peers (never bootstrapping)"
                         : "no state: rejoining from a majority of peers");
  std::vector<PeerSend> sends;
  rejoin_.emplace(cfg_, st.nonce, rng_, now, sends);
  std::optional<RejoinOutcome> done = rejoin_->decide(sends);
  for (auto& s : sends) send(s.to, std::move(s.msg));
  if (done) finish_rejoin(*done, now);
}

void Node::start_incarnation(uint64_t incarnation, std::vector<StorageRecord>& records) {
  acceptor_.mutable_state().incarnation = incarnation;
  // First in the batch: a crash that keeps a prefix of it (a torn write) and
  // with it InitializedRecord must keep the new epoch too, or the node would
  // come back initialized under an incarnation it used before.
  records.insert(records.begin(), IncarnationRecord{incarnation});
  proposer_.set_incarnation(incarnation);
  phase_ = Phase::starting;
  serve_after_records_ = records_appended_ + records.size();
}

void Node::finish_rejoin(const RejoinOutcome& o, TimeUs now) {
  std::vector<StorageRecord> records;
  uint32_t epoch = 0;
  if (acceptor_.state().initialized) {  // step 4: the state stays, the epoch moves
    RRSEQ_INVARIANT(!o.bootstrap && o.epoch > acceptor_.epoch(), "a node with state only moves to a later epoch");
    epoch = o.epoch;
    acceptor_.adopt({}, o.floor, o.epochs, records);
    out_.log.push_back("a peer knew a later life of this node that never served: now epoch " +
                       std::to_string(epoch) + ", fence " + o.floor.str());
  } else if (o.bootstrap) {
    // Founders before InitializedRecord: a torn batch that keeps the one keeps the other.
    for (const auto& [node, nonce] : o.founders) {
      acceptor_.mutable_state().founders[node] = nonce;
      records.push_back(FounderRecord{node, nonce});
    }
    acceptor_.mutable_state().initialized = true;
    records.push_back(InitializedRecord{});
    out_.log.push_back(o.founder
                           ? "a peer founded the cluster counting this node as empty: founding it too"
                           : "a majority of the cluster has no state: bootstrapping a new cluster");
  } else {
    epoch = o.epoch;
    acceptor_.adopt(o.states, o.floor, o.epochs, records);
    out_.log.push_back("rejoined: epoch " + std::to_string(epoch) + ", " +
                       std::to_string(o.states.size()) + " sequences, fence " + o.floor.str());
  }
  // A bootstrap keeps counting boots in epoch 0; a rejoin starts a fresh epoch.
  const uint32_t boot =
      o.bootstrap ? incarnation_boot(acceptor_.state().incarnation) + 1 : 0;
  start_incarnation(make_incarnation(epoch, boot), records);
  rejoin_.reset();
  persist(records);
  if (!cfg_.durable) phase_ = Phase::serving;
  if (auto it = o.epochs.find(cfg_.self); it != o.epochs.end()) note_own_life(it->second.live, now);
}

void Node::note_own_life(uint32_t live, TimeUs now) {
  if (live <= acceptor_.epoch() || !acceptor_.state().initialized) return;
  if (rejoin_ && rejoin_->fencing_epoch() >= live) return;  // its own fence, or moving above it
  // Above every life of this node a peer reported; the fence records it
  // (epoch_seen) on peers that meet every majority of the others before it is
  // used, so a later life still gets a higher one.
  std::vector<PeerSend> sends;
  rejoin_.emplace(cfg_, acceptor_.state().nonce, rng_, now,
                  Reepoch{live + 1, acceptor_.max_promised().round + fence_round_margin}, sends);
  for (auto& s : sends) send(s.to, std::move(s.msg));
}

void Node::persist(std::vector<StorageRecord>& records) {
  if (!cfg_.durable || records.empty()) return;
  for (const auto& r : records) out_.records.push_back(encode_record(r));
  records_appended_ += records.size();
  request_sync();
}

void Node::request_sync() {
  if (sync_in_flight_ || records_appended_ == records_synced_) return;
  sync_in_flight_ = next_sync_id_++;
  // Without group commit each sync covers one record: the baseline it beats.
  sync_in_flight_covers_ = cfg_.speedups.group_commit ? records_appended_ : records_synced_ + 1;
  out_.sync = *sync_in_flight_;
}

void Node::send(uint32_t to, PeerMessage msg) { out_.peer_sends.push_back(PeerSend{to, std::move(msg)}); }

void Node::send_gated(uint32_t to, PeerMessage msg) {
  if (records_synced_ >= records_appended_) {
    send(to, std::move(msg));
  } else {
    gated_.push_back(Gated{records_appended_, to, std::move(msg)});
  }
}

void Node::on_synced(uint64_t sync_id, TimeUs now) {
  if (!sync_in_flight_ || *sync_in_flight_ != sync_id) return;
  records_synced_ = sync_in_flight_covers_;
  RRSEQ_INVARIANT(records_synced_ <= records_appended_, "synced at most what was appended");
  sync_in_flight_.reset();
  while (!gated_.empty() && gated_.front().after_records <= records_synced_) {
    send(gated_.front().to, std::move(gated_.front().msg));
    gated_.pop_front();
  }
  if (phase_ == Phase::starting && records_synced_ >= serve_after_records_) {
    RRSEQ_INVARIANT(acceptor_.state().initialized, "a node serves only with state");
    phase_ = Phase::serving;
    out_.log.push_back("serving, incarnation " + std::to_string(incarnation()));
    on_timer(now);
  }
  request_sync();
}

const char* Node::phase_name() const {
  switch (phase_) {
    case Phase::starting:
      return "starting";
    case Phase::rejoining:
      return "rejoining";
    case Phase::serving:
      return "serving";
  }
  return "?";
}

void Node::count_reply(const ClientReply& reply) {
  ++stats_.replies[static_cast<size_t>(reply.status)];
  if (reply.status != Status::ok) return;
  ++stats_.grants;
  stats_.ids_granted += reply.to - reply.from;
}

void Node::reply_client(ConnId conn, const ClientRequest& req, Status st, uint32_t redirect_to) {
  out_.client_sends.push_back(ClientSend{conn, ClientReply{req.client, req.request, st, 0, 0, redirect_to}});
  count_reply(out_.client_sends.back().reply);
}

void Node::on_client_request(ConnId conn, const ClientRequest& req, TimeUs now) {
  if (!valid_seq_name(req.seq)) return reply_client(conn, req, Status::invalid_name);
  if (req.count > range_ids_max) return reply_client(conn, req, Status::invalid_count);
  // Caught here, not in the round: there it would refuse the whole batch it rides in.
  if (req.at_least > id_max) return reply_client(conn, req, Status::exhausted);
  if (phase_ != Phase::serving) return reply_client(conn, req, Status::not_ready);
  if (!acceptor_.can_add_sequence(req.seq)) return reply_client(conn, req, Status::too_many_sequences);
  if (proposer_.queued() >= queued_requests_max) return reply_client(conn, req, Status::overloaded);
  if (auto to = proposer_.redirect_target(req, now)) return reply_client(conn, req, Status::redirect, *to);
  ProposerOutput po;
  proposer_.enqueue(PendingRequest{conn, req, now}, now, po);
  flush(po);
}

void Node::flush(ProposerOutput& po) {
  for (auto& s : po.sends) send(s.to, std::move(s.msg));
  for (auto& a : po.answers) {
    out_.client_sends.push_back(ClientSend{
        a.request.conn,
        ClientReply{a.request.req.client, a.request.req.request, a.status, a.from, a.to, a.redirect_to}});
    count_reply(out_.client_sends.back().reply);
  }
}

void Node::handle_acceptor_message(uint32_t from, const PeerMessage& msg, TimeUs now) {
  std::vector<StorageRecord> records;
  PeerMessage reply;
  if (auto* m = std::get_if<Prepare>(&msg)) {
    reply = Promise{};
    acceptor_.on_prepare(*m, std::get<Promise>(reply), records);
    stats_.nacks_sent += !std::get<Promise>(reply).ok;
  } else if (auto* m = std::get_if<Accept>(&msg)) {
    reply = Accepted{};
    acceptor_.on_accept(*m, std::get<Accepted>(reply), records);
    stats_.nacks_sent += !std::get<Accepted>(reply).ok;
    if (std::get<Accepted>(reply).ok && from != cfg_.self) proposer_.note_rival_accept(m->seq, now);
  } else if (auto* m = std::get_if<ClassicRead>(&msg)) {
    reply = ClassicReadReply{};
    acceptor_.on_classic_read(*m, std::get<ClassicReadReply>(reply));
  } else if (auto* m = std::get_if<ClassicWrite>(&msg)) {
    reply = ClassicWriteReply{};
    acceptor_.on_classic_write(*m, std::get<ClassicWriteReply>(reply), records);
  }
  persist(records);
  send_gated(from, std::move(reply));
}

void Node::on_peer_message(uint32_t from, const PeerMessage& msg, TimeUs now) {
  if (from >= cfg_.nodes) return;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Prepare> || std::is_same_v<T, Accept> ||
                      std::is_same_v<T, ClassicRead> || std::is_same_v<T, ClassicWrite>) {
          // A node without state, or not yet sure of its incarnation, is in no quorum.
          if (phase_ == Phase::serving) handle_acceptor_message(from, msg, now);
          if (rejoin_ && std::is_same_v<T, Prepare>) rejoin_->note_cluster_exists();  // a peer proposes
        } else if constexpr (std::is_same_v<T, EpochRequest>) {
          std::vector<StorageRecord> records;
          EpochReply reply;
          acceptor_.on_epoch_request(from, m, reply, records);
          reply.lost_state =
              !acceptor_.state().initialized && (cfg_.lost_state || (rejoin_ && rejoin_->aware()));
          reply.nonce = acceptor_.state().nonce;
          persist(records);
          send_gated(from, reply);
        } else if constexpr (std::is_same_v<T, FenceRequest>) {
          if (!acceptor_.state().initialized) return;  // nothing to offer
          std::vector<StorageRecord> records;
          FenceReply reply;
          acceptor_.on_fence_request(from, m, reply, records);
          persist(records);
          send_gated(from, std::move(reply));
        } else if constexpr (std::is_same_v<T, EpochReply> || std::is_same_v<T, FenceReply>) {
          if (!rejoin_) return;
          std::vector<PeerSend> sends;
          std::optional<RejoinOutcome> done;
          if constexpr (std::is_same_v<T, EpochReply>) {
            done = rejoin_->on_epoch_reply(from, m, sends);
          } else {
            done = rejoin_->on_fence_reply(from, m, sends);
          }
          for (auto& s : sends) send(s.to, std::move(s.msg));
          if (done) finish_rejoin(*done, now);
        } else if constexpr (std::is_same_v<T, Promise> || std::is_same_v<T, Accepted> ||
                             std::is_same_v<T, ClassicReadReply> ||
                             std::is_same_v<T, ClassicWriteReply>) {
          if (phase_ != Phase::serving) return;
          if constexpr (std::is_same_v<T, Promise> || std::is_same_v<T, Accepted>) {
            for (const Voter& life : m.lives) {
              if (life.node == cfg_.self) note_own_life(life.epoch, now);
            }
          }
          ProposerOutput po;
          if constexpr (std::is_same_v<T, Promise>) proposer_.on_promise(from, m, now, po);
          if constexpr (std::is_same_v<T, Accepted>) proposer_.on_accepted(from, m, now, po);
          if constexpr (std::is_same_v<T, ClassicReadReply>) proposer_.on_classic_read_reply(from, m, now, po);
          if constexpr (std::is_same_v<T, ClassicWriteReply>) proposer_.on_classic_write_reply(from, m, now, po);
          flush(po);
        } else {
          static_assert(sizeof(T) == 0, "every peer message is handled above");
        }
      },
      msg);
}

void Node::on_timer(TimeUs now) {
  if (rejoin_) {
    std::vector<PeerSend> sends;
    rejoin_->on_timer(now, sends);
    for (auto& s : sends) send(s.to, std::move(s.msg));
  }
  if (phase_ == Phase::serving) {
    ProposerOutput po;
    proposer_.on_timer(now, po);
    flush(po);
  }
}

std::optional<TimeUs> Node::next_timer() const {
  std::optional<TimeUs> t;
  if (rejoin_) t = rejoin_->next_timer();
  if (phase_ == Phase::serving) {
    const std::optional<TimeUs> p = proposer_.next_timer();
    if (p && (!t || *p < *t)) t = p;
  }
  return t;
}

NodeOutput Node::take_output() {
  NodeOutput o = std::move(out_);
  out_ = NodeOutput{};
  return o;
}

}  // namespace rrseq
