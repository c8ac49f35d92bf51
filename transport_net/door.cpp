#include "transport_net/door.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "transport_net/peer_auth.h"

namespace rrseq {

namespace {
// grpc::StatusCode's numbers (grpc/impl/codegen/status.h), kept here so the
// HTTP door needs no gRPC header.
constexpr int grpc_ok = 0;
constexpr int grpc_invalid_argument = 3;
constexpr int grpc_permission_denied = 7;
constexpr int grpc_resource_exhausted = 8;
constexpr int grpc_unavailable = 14;
}  // namespace

DoorError door_error(Status s) {
  switch (s) {
    case Status::ok:
      return {grpc_ok, 200};
    case Status::invalid_name:
    case Status::invalid_count:
      return {grpc_invalid_argument, 400};
    case Status::exhausted:
    case Status::too_many_sequences:
      return {grpc_resource_exhausted, 409};  // permanent: retrying cannot help
    case Status::overloaded:
    case Status::too_many_requests:
      return {grpc_resource_exhausted, 429};
    case Status::permission_denied:
      return {grpc_permission_denied, 403};
    case Status::not_ready:
    case Status::timeout:
    case Status::redirect:  // never sent to a door: its calls may not be redirected
      return {grpc_unavailable, 503};
  }
  return {grpc_unavailable, 503};
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() || authorization.substr(0, scheme.size()) != scheme) return std::nullopt;
  return authorization.substr(scheme.size());
}

bool token_matches(const std::string& expected, std::string_view given) {
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

Result load_admin_token(const std::string& path, std::string* token, std::vector<std::string>* warnings) {
  std::string bytes;
  // One byte more than the longest token: its trailing newline.
  Result r = load_secret_file(path, "admin token", admin_token_bytes_min, admin_token_bytes_max + 1, &bytes, warnings);
  if (!r.is_ok()) return r;
  if (bytes.back() == '\n') bytes.pop_back();
  if (bytes.size() < admin_token_bytes_min || bytes.size() > admin_token_bytes_max) {
    return Result::error("admin token file '" + path + "': the token has " + std::to_string(bytes.size()) +
                         " characters; it needs " + std::to_string(admin_token_bytes_min) + " to " +
                         std::to_string(admin_token_bytes_max) + " (make one with: openssl rand -hex 32 > FILE)");
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c <= ' ' || c > '~') {
      return Result::error("admin token file '" + path + "': byte " + std::to_string(i) +
                           " is not a visible ASCII character (the token travels in an HTTP header)");
    }
  }
  *token = std::move(bytes);
  return Result::ok();
}

}  // namespace rrseq
