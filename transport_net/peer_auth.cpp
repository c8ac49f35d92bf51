#include "transport_net/peer_auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/bytes.h"

namespace rrseq {
namespace {

// Names this scheme inside every proof, so a MAC made with the same key for
// anything else can never pass for one.
constexpr std::string_view proof_label = "rrseq peer auth v1";

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Result load_secret_file(const std::string& path, const std::string& kind, size_t bytes_min, size_t bytes_max,
                        std::string* secret, std::vector<std::string>* warnings) {
  const std::string what = kind + " file '" + path + "'";
  if (path.empty()) return Result::error(kind + " file: the path is empty");
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Result::error(what + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Result::error(what + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Result::error(what + ": not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < bytes_min || size > bytes_max) {
    return Result::error(what + " holds " + std::to_string(size) + " bytes; a " + kind + " has " +
                         std::to_string(bytes_min) + " to " + std::to_string(bytes_max));
  }
  std::string bytes(size + 1, '\0');  // one more, to notice a file that grew meanwhile
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Result::error(what + ": " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != size) return Result::error(what + " changed size while being read; try again");
  bytes.resize(size);
  if (st.st_mode & (S_IRGRP | S_IROTH)) {
    warnings->push_back(what + " is readable by its group or by others (mode " + octal_mode(st.st_mode) +
                        "); anyone who reads it holds the " + kind + ": chmod 600 it");
  }
  *secret = std::move(bytes);
  return Result::ok();
}

Result load_cluster_key(const std::string& path, std::string* key, std::vector<std::string>* warnings) {
  Result r = load_secret_file(path, "cluster key", cluster_key_bytes_min, cluster_key_bytes_max, key, warnings);
  if (!r.is_ok() && r.message().find(" bytes; a cluster key has ") != std::string::npos) {
    return Result::error(r.message() + " (make one with: head -c 32 /dev/urandom > FILE)");
  }
  return r;
}

AuthBytes hmac_sha256(std::string_view key, std::string_view data) {
  AuthBytes mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &len);
  return mac;
}

std::optional<AuthBytes> random_nonce() {
  AuthBytes nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) return std::nullopt;
  return nonce;
}

PeerAuth::PeerAuth(PeerAuthConfig cfg, AuthSide side, uint32_t peer, const AuthBytes& nonce)
    : cfg_(std::move(cfg)),
      side_(side),
      peer_(peer),
      nonce_(nonce),
      state_(cfg_.key ? State::await_challenge : State::done) {}

std::vector<HandshakeMessage> PeerAuth::opening() const {
  if (!cfg_.key) return {};
  return {AuthChallenge{nonce_}};
}

PeerAuth::Step PeerAuth::on_frame(const Message& m) {
  const bool challenge = std::holds_alternative<AuthChallenge>(m);
  const bool proof = std::holds_alternative<AuthProof>(m);
  if (!cfg_.key && (challenge || proof)) {
    return fail(peer_name() + " wants peers to prove a cluster key, but this node runs without --cluster-key;"
                              " give every node the same key file");
  }
  switch (state_) {
    case State::await_challenge:
      if (!challenge) break;
      peer_nonce_ = std::get<AuthChallenge>(m).nonce;
      state_ = State::await_proof;
      // The acceptor proves first; the connector proves only to a peer that has proved itself.
      if (side_ == AuthSide::acceptor) return Step{{AuthProof{proof_by(side_)}}, ""};
      return {};
    case State::await_proof: {
      if (!proof) break;
      const AuthSide theirs = side_ == AuthSide::connector ? AuthSide::acceptor : AuthSide::connector;
      const AuthBytes expected = proof_by(theirs);
      const AuthBytes& got = std::get<AuthProof>(m).mac;
      if (CRYPTO_memcmp(expected.data(), got.data(), expected.size()) != 0) {
        return fail(peer_name() + "'s proof does not match this node's cluster key"
                                  " (is the same key file given to every node?)");
      }
      state_ = State::done;
      if (side_ == AuthSide::connector) return Step{{AuthProof{proof_by(side_)}}, ""};
      return {};
    }
    case State::done:
      return fail(peer_name() + " sent " + message_name(m) + " after the handshake had finished");
    case State::failed:
      return fail(peer_name() + " sent " + message_name(m) + " after failing the handshake");
  }
  if (challenge || proof) {
    return fail(peer_name() + " sent " + message_name(m) + " out of order in the handshake");
  }
  return fail(peer_name() + " sent " + message_name(m) +
              " before proving it holds the cluster key (does it run without --cluster-key?)");
}

PeerAuth::Step PeerAuth::fail(std::string why) {
  state_ = State::failed;
  return Step{{}, std::move(why)};
}

AuthBytes PeerAuth::proof_by(AuthSide prover) const {
  const bool mine = prover == side_;
  const AuthBytes& connector_nonce = side_ == AuthSide::connector ? nonce_ : peer_nonce_;
  const AuthBytes& acceptor_nonce = side_ == AuthSide::acceptor ? nonce_ : peer_nonce_;
  std::string data(proof_label);
  ByteWriter w(data);
  w.put_u8(static_cast<uint8_t>(prover));
  w.put_u32(cfg_.nodes);
  w.put_u32(mine ? cfg_.self : peer_);  // prover
  w.put_u32(mine ? peer_ : cfg_.self);  // verifier
  w.put_u32(static_cast<uint32_t>(cfg_.cluster.size()));
  data += cfg_.cluster;
  data.append(connector_nonce.begin(), connector_nonce.end());
  data.append(acceptor_nonce.begin(), acceptor_nonce.end());
  return hmac_sha256(*cfg_.key, data);
}

}  // namespace rrseq
