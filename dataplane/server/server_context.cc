// ServerContext: INFO rendering and server id generation.
#include "dataplane/server/server_context.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <sodium.h>

#include "common/encoding/base32.h"
#include "dataplane/auth/password.h"

namespace lattice::server {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string GenerateServerId() {
  // 35 bytes (prefix + 32 random + 2) encode to 56 base32 chars; the first byte 13<<3 gives 'N'.
  unsigned char raw[35];
  raw[0] = 13 << 3;
  randombytes_buf(raw + 1, sizeof(raw) - 1);
  return encoding::Base32Encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
}

bool HasBcryptSecret(const options::Options& options) {
  if (auth::IsBcrypt(options.password) || auth::IsBcrypt(options.auth_token)) {
    return true;
  }
  return std::any_of(options.users.begin(), options.users.end(),
                     [](const options::User& u) { return auth::IsBcrypt(u.password); });
}

WorkPool* ServerContext::auth_pool() {
  MutexLock lock(&mu_);
  if (auth_pool_ == nullptr && !auth_pool_stopped_) {
    // Half the cores: bcrypt is pure CPU, and the loops need the rest.
    size_t threads = std::max<size_t>(1, std::thread::hardware_concurrency() / 2);
    auth_pool_ = std::make_unique<WorkPool>(threads);
  }
  return auth_pool_.get();
}

void ServerContext::StopAuthPool() {
  std::unique_ptr<WorkPool> pool;
  {
    MutexLock lock(&mu_);
    auth_pool_stopped_ = true;
    pool = std::move(auth_pool_);
  }
  pool.reset();  // joins outside the lock: a running check may still read the config
}

std::string ServerContext::ClientInfoJson(uint64_t client_id, std::string_view client_ip,
                                          std::string_view nonce, int64_t max_payload) const {
  std::shared_ptr<const RuntimeConfig> config;
  std::string host;
  int port = 0;
  std::vector<std::string> urls;
  {
    MutexLock lock(&mu_);
    config = config_;
    host = host_;
    port = port_;
    urls = connect_urls_;
  }
  const options::Options& opts = *config->options;
  std::string out;
  out.reserve(512);
  out.append("{\"server_id\":");
  AppendJsonString(&out, server_id_);
  out.append(",\"server_name\":");
  AppendJsonString(&out, opts.server_name.empty() ? server_id_ : opts.server_name);
  out.append(",\"version\":");
  AppendJsonString(&out, kNatsCompatVersion);
  out.append(",\"proto\":1,\"go\":");
  AppendJsonString(&out, std::string("lattice-") + std::string(kLatticeVersion));
  out.append(",\"host\":");
  AppendJsonString(&out, host);
  out.append(",\"port\":").append(std::to_string(port));
  out.append(",\"headers\":true,\"max_payload\":")
      .append(std::to_string(max_payload >= 0 ? max_payload : opts.max_payload));
  if (config->authenticator != nullptr && config->authenticator->advertise_auth_required()) {
    out.append(",\"auth_required\":true");
  }
  if (config->tls != nullptr) {
    out.append(",\"tls_required\":true");
    if (config->tls->verify_peer()) {
      out.append(",\"tls_verify\":true");
    }
  }
  if (client_id != 0) {
    out.append(",\"client_id\":").append(std::to_string(client_id));
  }
  if (!client_ip.empty()) {
    out.append(",\"client_ip\":");
    AppendJsonString(&out, client_ip);
  }
  if (!nonce.empty()) {
    out.append(",\"nonce\":");
    AppendJsonString(&out, nonce);
  }
  if (!urls.empty()) {
    out.append(",\"connect_urls\":[");
    for (size_t i = 0; i < urls.size(); ++i) {
      if (i > 0) {
        out.push_back(',');
      }
      AppendJsonString(&out, urls[i]);
    }
    out.push_back(']');
  }
  if (lame_duck_.load(std::memory_order_relaxed)) {
    out.append(",\"ldm\":true");
  }
  out.push_back('}');
  return out;
}

}  // namespace lattice::server
