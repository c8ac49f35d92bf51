#include "transport_net/http_routes.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/limits.h"
#include "transport_net/metrics_text.h"

namespace rrseq {

namespace {

using nlohmann::json;

constexpr std::string_view sequences_prefix = "/v1/sequences/";

HttpResponse json_response(int status, const json& body) { return HttpResponse{status, "application/json", body.dump() + "\n", ""}; }

HttpResponse error_response(int status, const std::string& why, const char* reason = nullptr) {
  json body = {{"error", why}};
  if (reason) body["status"] = reason;
  return json_response(status, body);
}

HttpResponse refusal(Status s) { return error_response(door_error(s).http_status, status_text(s), status_name(s)); }

HttpResponse wrong_method(const char* allow) {
  HttpResponse r = error_response(405, std::string("method not allowed: use ") + allow);
  r.allow = allow;
  return r;
}

// The value of `key` in a query string (no percent-decoding: numbers only).
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

void call_node(const HttpRoutes& routes, DoorCall call, HttpDoor::Reply reply) {
  const std::string seq = call.seq;
  const DoorOp op = call.op;
  routes.node->call(std::move(call), [seq, op, reply = std::move(reply)](const DoorAnswer& a) {
    if (a.status != Status::ok) return reply(refusal(a.status));
    if (op == DoorOp::next) return reply(json_response(200, {{"sequence", seq}, {"from", a.from}, {"to", a.to}}));
    reply(json_response(200, {{"sequence", seq}, {"upper_bound", a.to}}));
  });
}

void route_sequence(const HttpRoutes& routes, const HttpRequest& req, std::string_view rest, HttpDoor::Reply reply) {
  const size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string_view action = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (action != "" && action != "next" && action != "advance") return reply(error_response(404, "not found: " + req.path));
  if (!valid_seq_name(name)) return reply(error_response(400, status_text(Status::invalid_name), "invalid_name"));
  if (action.empty()) {
    if (req.method != "GET") return reply(wrong_method("GET"));
    return call_node(routes, DoorCall{DoorOp::current, name, 0, 0}, std::move(reply));
  }
  if (action == "next") {
    if (req.method != "GET") return reply(wrong_method("GET"));
    const auto text = query_value(req.query, "count");
    const auto count = text ? parse_u64(*text) : std::optional<uint64_t>(1);  // no count: one ID
    if (!count || *count == 0 || *count > range_ids_max) {
      return reply(error_response(400, status_text(Status::invalid_count), "invalid_count"));
    }
    return call_node(routes, DoorCall{DoorOp::next, name, *count, 0}, std::move(reply));
  }
  if (req.method != "POST") return reply(wrong_method("POST"));
  const auto given = bearer_token(req.authorization);
  if (!routes.admin_token || !given || !token_matches(*routes.admin_token, *given)) {
    return reply(error_response(403,
                                routes.admin_token ? "advance needs the admin token (Authorization: Bearer TOKEN)"
                                                   : "advance is off: the server has no --admin-token",
                                "permission_denied"));
  }
  const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  const auto it = body.is_object() ? body.find("at_least") : body.end();
  if (it == body.end() || !it->is_number_unsigned() || it->get<uint64_t>() == 0 || it->get<uint64_t>() > id_max) {
    return reply(error_response(400, "the body must be {\"at_least\": X} with X in 1.." + std::to_string(id_max)));
  }
  call_node(routes, DoorCall{DoorOp::advance, name, 0, it->get<uint64_t>()}, std::move(reply));
}

}  // namespace

void route_http(const HttpRoutes& routes, const HttpRequest& req, HttpDoor::Reply reply) {
  const std::string_view path = req.path;
  if (path == "/metrics" || path == "/healthz" || path == "/readyz") {
    if (req.method != "GET") return reply(wrong_method("GET"));
    if (path == "/metrics") return reply(HttpResponse{200, metrics_content_type, routes.metrics(), ""});
    if (path == "/healthz") return reply(HttpResponse{200, "text/plain; charset=utf-8", "ok\n", ""});
    const bool ready = routes.node->ready();
    return reply(HttpResponse{ready ? 200 : 503, "text/plain; charset=utf-8",
                              ready ? "ready\n" : "not ready: the node is starting, rejoining or without a quorum\n",
                              ""});
  }
  if (path.substr(0, sequences_prefix.size()) == sequences_prefix) {
    return route_sequence(routes, req, path.substr(sequences_prefix.size()), std::move(reply));
  }
  reply(error_response(404, "not found: " + req.path));
}

}  // namespace rrseq
