#include "transport_net/grpc_door.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <chrono>

#include "core/codec.h"
#include "core/limits.h"
#include "rr_seq.grpc.pb.h"
#include "rrseq/v1/sequences.grpc.pb.h"

namespace rrseq {

namespace {

// The refusal of a node status, with the status's name in the trailing
// metadata "rrseq-status" for programs (retry on overloaded, not on exhausted).
grpc::Status refusal(grpc::CallbackServerContext* ctx, Status s) {
  ctx->AddTrailingMetadata("rrseq-status", status_name(s));
  return grpc::Status(static_cast<grpc::StatusCode>(door_error(s).grpc_code), status_text(s));
}

grpc::Status bad_argument(grpc::CallbackServerContext* ctx, Status s, const std::string& what) {
  ctx->AddTrailingMetadata("rrseq-status", status_name(s));
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, what);
}

}  // namespace

// Both services, on one gRPC server.
class GrpcDoor::Services {
 public:
  Services(NodeDoor& node, std::optional<std::string> token) : legacy_(*this), v1_(*this), node_(node), token_(std::move(token)) {}

  Result open(const Address& addr, std::string* bound) {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort(addr.listen_host() + ":" + std::to_string(addr.port), grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&legacy_);
    b.RegisterService(&v1_);
    b.SetMaxReceiveMessageSize(grpc_message_bytes_max);
    b.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, grpc_streams_per_connection_max);
    b.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, grpc_metadata_bytes_max);
    b.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, grpc_handshake_timeout_ms);
    b.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, grpc_idle_timeout_ms);
    grpc::ResourceQuota quota("rrseq-grpc");
    quota.Resize(grpc_memory_bytes_max);
    b.SetResourceQuota(quota);
    server_ = b.BuildAndStart();
    if (!server_ || port == 0) return Result::error("gRPC: cannot listen on " + addr.text);
    *bound = addr.host + ":" + std::to_string(port);
    return Result::ok();
  }

  void shutdown() {
    if (!server_) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grpc_shutdown_grace_ms));
    server_.reset();
  }

  // Admin calls carry "authorization: Bearer TOKEN"; without a configured token, none is admin.
  bool admin(grpc::CallbackServerContext* ctx) const {
    if (!token_) return false;
    const auto& md = ctx->client_metadata();
    const auto it = md.find("authorization");
    if (it == md.end()) return false;
    const auto given = bearer_token(std::string_view(it->second.data(), it->second.size()));
    return given && token_matches(*token_, *given);
  }

  // Sends a call to the node; `ok` fills the reply from a granted answer.
  template <typename Ok>
  grpc::ServerUnaryReactor* forward(grpc::CallbackServerContext* ctx, DoorCall call, Ok ok) {
    auto* reactor = ctx->DefaultReactor();
    if (!valid_seq_name(call.seq)) {
      reactor->Finish(bad_argument(ctx, Status::invalid_name, status_text(Status::invalid_name)));
      return reactor;
    }
    node_.call(std::move(call), [reactor, ctx, ok](const DoorAnswer& a) {
      if (a.status != Status::ok) return reactor->Finish(refusal(ctx, a.status));
      ok(a);
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* refuse(grpc::CallbackServerContext* ctx, grpc::Status st) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(st);
    return reactor;
  }

  grpc::ServerUnaryReactor* denied(grpc::CallbackServerContext* ctx) {
    ctx->AddTrailingMetadata("rrseq-status", status_name(Status::permission_denied));
    return refuse(ctx, grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                    token_ ? "admin call without the admin token (authorization: Bearer TOKEN)"
                                           : "admin calls are off: the server has no --admin-token"));
  }

  // pb.RRAPI, as the 2016 server answered it.
  class Legacy final : public pb::RRAPI::CallbackService {
   public:
    explicit Legacy(Services& s) : s_(s) {}

    grpc::ServerUnaryReactor* GRPCNextID(grpc::CallbackServerContext* ctx, const pb::NextIDRequest* req,
                                         pb::NextIDReply* reply) override {
      const int64_t n = std::max<int64_t>(req->range_size(), 1);  // below 1 means 1, as in 2016
      if (static_cast<uint64_t>(n) > range_ids_max) {
        return s_.refuse(ctx, bad_argument(ctx, Status::invalid_count, status_text(Status::invalid_count)));
      }
      return s_.forward(ctx, DoorCall{DoorOp::next, req->name(), static_cast<uint64_t>(n), 0},
                        [reply](const DoorAnswer& a) {
                          reply->set_from_id(a.from);
                          reply->set_to_id(a.to);
                        });
    }

    grpc::ServerUnaryReactor* GRPCCurID(grpc::CallbackServerContext* ctx, const pb::CurIDRequest* req,
                                        pb::CurIDReply* reply) override {
      return s_.forward(ctx, DoorCall{DoorOp::current, req->name(), 0, 0},
                        [reply](const DoorAnswer& a) { reply->set_cur_id(a.to); });
    }

    grpc::ServerUnaryReactor* GRPCSetID(grpc::CallbackServerContext* ctx, const pb::SetIDRequest* req,
                                        pb::SetIDReply* reply) override {
      reply->set_success(false);
      if (!s_.admin(ctx)) return s_.denied(ctx);
      if (req->new_id() == 0) return s_.refuse(ctx, bad_argument(ctx, Status::invalid_count, "new_id must be at least 1"));
      // Forward only: a new_id below the sequence leaves it where it is, and succeeds.
      return s_.forward(ctx, DoorCall{DoorOp::advance, req->name(), 0, req->new_id()},
                        [reply](const DoorAnswer&) { reply->set_success(true); });
    }

   private:
    Services& s_;
  };

  // rrseq.v1.Sequences.
  class V1 final : public rrseq::v1::Sequences::CallbackService {
   public:
    explicit V1(Services& s) : s_(s) {}

    grpc::ServerUnaryReactor* Next(grpc::CallbackServerContext* ctx, const rrseq::v1::NextRequest* req,
                                   rrseq::v1::Range* reply) override {
      if (req->count() == 0 || req->count() > range_ids_max) {
        return s_.refuse(ctx, bad_argument(ctx, Status::invalid_count, status_text(Status::invalid_count)));
      }
      return s_.forward(ctx, DoorCall{DoorOp::next, req->name(), req->count(), 0}, [reply, req](const DoorAnswer& a) {
        reply->set_name(req->name());
        reply->set_from_id(a.from);
        reply->set_to_id(a.to);
      });
    }

    grpc::ServerUnaryReactor* Current(grpc::CallbackServerContext* ctx, const rrseq::v1::CurrentRequest* req,
                                      rrseq::v1::Bound* reply) override {
      return s_.forward(ctx, DoorCall{DoorOp::current, req->name(), 0, 0}, [reply, req](const DoorAnswer& a) {
        reply->set_name(req->name());
        reply->set_upper_bound(a.to);
      });
    }

    grpc::ServerUnaryReactor* Advance(grpc::CallbackServerContext* ctx, const rrseq::v1::AdvanceRequest* req,
                                      rrseq::v1::Bound* reply) override {
      if (!s_.admin(ctx)) return s_.denied(ctx);
      if (req->at_least() == 0 || req->at_least() > id_max) {
        return s_.refuse(ctx, bad_argument(ctx, Status::invalid_count,
                                           "at_least must be in 1.." + std::to_string(id_max)));
      }
      return s_.forward(ctx, DoorCall{DoorOp::advance, req->name(), 0, req->at_least()},
                        [reply, req](const DoorAnswer& a) {
                          reply->set_name(req->name());
                          reply->set_upper_bound(a.to);
                        });
    }

    grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx, const rrseq::v1::ListRequest*,
                                   rrseq::v1::ListReply* reply) override {
      auto* reactor = ctx->DefaultReactor();
      s_.node_.list([reactor, reply](const std::vector<SeqBound>& seqs) {
        for (const auto& b : seqs) {
          auto* out = reply->add_sequences();
          out->set_name(b.seq);
          out->set_upper_bound(b.bound);
        }
        reactor->Finish(grpc::Status::OK);
      });
      return reactor;
    }

   private:
    Services& s_;
  };

  Legacy legacy_;
  V1 v1_;
  NodeDoor& node_;
  std::optional<std::string> token_;
  std::unique_ptr<grpc::Server> server_;
};

GrpcDoor::GrpcDoor(NodeDoor& node, std::optional<std::string> admin_token)
    : services_(std::make_unique<Services>(node, std::move(admin_token))) {}

GrpcDoor::~GrpcDoor() { shutdown(); }

Result GrpcDoor::open(const Address& addr) { return services_->open(addr, &bound_); }

void GrpcDoor::shutdown() { services_->shutdown(); }

}  // namespace rrseq
