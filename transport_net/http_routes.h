#pragma once
// What rrseq-server --http answers (JSON unless said):
//   GET  /v1/sequences/NAME/next?count=N  {"sequence": NAME, "from": F, "to": T}: IDs [F, T)
//   GET  /v1/sequences/NAME               {"sequence": NAME, "upper_bound": B} (a quorum round)
//   POST /v1/sequences/NAME/advance       body {"at_least": X}; admin (Authorization: Bearer TOKEN)
//   GET  /healthz                         200 while the process runs
//   GET  /readyz                          200 while this node serves with a quorum, else 503
//   GET  /metrics                         Prometheus text
// Errors: {"error": "...", "status": "<the node's reason>"} with 400, 403, 404,
// 405, 409 (exhausted, too many sequences), 429 (overloaded) or 503 (retry).
#include <functional>
#include <optional>
#include <string>

#include "transport_net/door.h"
#include "transport_net/http_door.h"

namespace rrseq {

struct HttpRoutes {
  NodeDoor* node = nullptr;
  std::function<std::string()> metrics;  // the exposition text, rendered per scrape
  std::optional<std::string> admin_token;  // none: advance is refused
};

// Answers `req`, now or later (a node call), through `reply`, on the io thread.
void route_http(const HttpRoutes& routes, const HttpRequest& req, HttpDoor::Reply reply);

}  // namespace rrseq
