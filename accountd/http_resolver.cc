// HttpResolver: cpp-httplib routes for the /jwt/v1 resolver API.
#include "accountd/http_resolver.h"

#include <sys/socket.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

#include "accountd/file_util.h"
#include "common/base/log.h"
#include "common/jwt/claims.h"

namespace lattice::accountd {
namespace {

constexpr size_t kMaxBody = 1 << 20;

void ReplyText(httplib::Response& response, int status, absl::string_view text) {
  response.status = status;
  response.set_content(std::string(text), "text/plain; charset=utf-8");
}

bool FlagSet(const httplib::Request& request, const char* name) {
  if (!request.has_param(name))
    return false;
  std::string value = absl::AsciiStrToLower(request.get_param_value(name));
  return value.empty() || value == "true" || value == "1" || value == "yes";
}

// True when an If-None-Match header names `jti` (quoted or not, weak or not) or is "*".
bool EtagMatches(absl::string_view header, absl::string_view jti) {
  for (absl::string_view tag : absl::StrSplit(header, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");
    if (tag == "*")
      return true;
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (!tag.empty() && tag == jti)
      return true;
  }
  return false;
}

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return 500;
    default:
      return 400;
  }
}

constexpr char kHelp[] =
    "accountd: NATS account resolver\n"
    "GET  /jwt/v1/accounts/            probe (200)\n"
    "GET  /jwt/v1/accounts/<pubkey>    account JWT (?check=true ?notify=true ?decode=true "
    "?text=true)\n"
    "POST /jwt/v1/accounts/<pubkey>    store an account JWT signed by the operator\n"
    "GET  /jwt/v1/operator             operator JWT\n"
    "GET  /healthz                     health\n";

}  // namespace

HttpResolver::HttpResolver(Resolver& resolver) : resolver_(resolver) {}

HttpResolver::~HttpResolver() {
  Stop();
}

void HttpResolver::Routes() {
  httplib::Server& http = *http_;
  http.set_payload_max_length(kMaxBody);
  auto probe = [](const httplib::Request&, httplib::Response& response) {
    response.status = 200;
    response.set_content("", "text/plain; charset=utf-8");
  };
  http.Get(R"(/jwt/v1/accounts/?)", probe);

  http.Get(R"(/jwt/v1/accounts/([^/]+))",
           [this](const httplib::Request& request, httplib::Response& response) {
             const std::string key = request.matches[1];
             std::shared_ptr<const AccountEntry> entry = resolver_.cache().Get(key);
             if (entry == nullptr) {
               ReplyText(response, 404, absl::StrCat("account ", key, " not found"));
               return;
             }
             if (FlagSet(request, "check") && entry->expires != 0 &&
                 entry->expires <= resolver_.cache().Now()) {
               ReplyText(response, 404, absl::StrCat("account ", key, " has expired"));
               return;
             }
             if (FlagSet(request, "notify"))
               resolver_.Announce(key);
             const std::string etag = absl::StrCat("\"", entry->jti, "\"");
             response.set_header("ETag", etag);
             if (request.has_header("If-None-Match") &&
                 EtagMatches(request.get_header_value("If-None-Match"), entry->jti)) {
               response.status = 304;
               return;
             }
             if (FlagSet(request, "decode")) {
               absl::StatusOr<jwt::VerifiedToken> token = jwt::DecodeVerified(entry->jwt);
               if (!token.ok()) {
                 ReplyText(response, 500, token.status().message());
                 return;
               }
               nlohmann::json out = {{"header", token->header}, {"claims", token->payload}};
               response.set_content(out.dump(2), "application/json");
               return;
             }
             response.set_content(entry->jwt, FlagSet(request, "text") ? "text/plain; charset=utf-8"
                                                                       : "application/jwt");
           });

  http.Post(R"(/jwt/v1/accounts/([^/]+))", [this](const httplib::Request& request,
                                                  httplib::Response& response) {
    const std::string key = request.matches[1];
    const std::string_view body = StripWhitespace(request.body);
    absl::StatusOr<PutResult> result = resolver_.Submit(body, key);
    if (!result.ok()) {
      LATTICE_LOG(kInfo) << "accountd http: POST " << key << " refused: " << result.status();
      ReplyText(response, HttpStatusFor(result.status()), result.status().message());
      return;
    }
    ReplyText(response, 200, absl::StrCat("account ", key, " ", AsAbsl(PutResultName(*result))));
  });

  http.Get(
      "/jwt/v1/operator", [this](const httplib::Request& request, httplib::Response& response) {
        response.set_content(resolver_.cache().operator_jwt(), FlagSet(request, "text")
                                                                   ? "text/plain; charset=utf-8"
                                                                   : "application/jwt");
      });
  http.Get("/jwt/v1/help", [](const httplib::Request&, httplib::Response& response) {
    ReplyText(response, 200, kHelp);
  });
  http.Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
    nlohmann::json out = {{"status", "ok"},
                          {"accounts", resolver_.cache().size()},
                          {"source", resolver_.DescribeSource()},
                          {"source_connected", resolver_.source_connected()}};
    response.set_content(out.dump(), "application/json");
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.body.empty())
      ReplyText(response, response.status, response.status == 404 ? "not found\n" : "error\n");
  });
}

absl::Status HttpResolver::Start(const std::string& host, int port) {
  http_ = std::make_unique<httplib::Server>();
  // No SO_REUSEPORT (httplib's default): a second accountd on the same port must fail loudly.
  http_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  Routes();
  port_ = port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    http_.reset();
    port_ = 0;
    return absl::UnavailableError(absl::StrCat("accountd: cannot listen on ", host, ":", port));
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // stop() is a no-op until the loop runs, so return only once it does.
  while (!http_->is_running())
    std::this_thread::yield();
  return absl::OkStatus();
}

void HttpResolver::Stop() {
  if (http_ != nullptr)
    http_->stop();
  if (thread_.joinable())
    thread_.join();
}

}  // namespace lattice::accountd
