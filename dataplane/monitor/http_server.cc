#include "dataplane/monitor/http_server.h"

#include <sys/socket.h>

#include "absl/strings/str_cat.h"
#include "httplib.h"

#include "dataplane/monitor/endpoints.h"

namespace lattice::monitor {
namespace {

QueryParams ToQuery(const httplib::Request& request) {
  QueryParams query;
  for (const auto& [key, value] : request.params)
    query[key] = value;
  return query;
}

// JSON, or JSONP when the request names a callback (as nats-server's ResponseHandler does).
void ReplyJson(const httplib::Request& request, httplib::Response& response,
               const std::string& body) {
  auto callback = request.params.find("callback");
  if (callback != request.params.end() && !callback->second.empty()) {
    response.set_content(absl::StrCat(callback->second, "(", body, ")"), "application/javascript");
  } else {
    response.set_content(body, "application/json");
  }
}

void ReplyStatusOr(const httplib::Request& request, httplib::Response& response,
                   const absl::StatusOr<std::string>& body) {
  if (body.ok()) {
    ReplyJson(request, response, *body);
    return;
  }
  response.status = body.status().code() == absl::StatusCode::kNotFound ? 404 : 400;
  response.set_content(std::string(body.status().message()), "text/plain");
}

}  // namespace

HttpServer::HttpServer(MonitorSource& source) : source_(source) {}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::Count(const std::string& path) {
  MutexLock lock(&stats_mu_);
  ++request_stats_[path];
}

HttpRequestStats HttpServer::RequestStats() {
  MutexLock lock(&stats_mu_);
  return request_stats_;
}

absl::Status HttpServer::Start(const std::string& host, int port) {
  http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *http_;
  // httplib's default adds SO_REUSEPORT, which would let a second server silently share the port;
  // SO_REUSEADDR alone keeps restarts instant and a taken port an error.
  http.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/", [this](const httplib::Request&, httplib::Response& response) {
    Count("/");
    response.set_content(
        "<html><body><h1>lattice-node</h1><ul>"
        "<li><a href=\"varz\">varz</a></li><li><a href=\"connz\">connz</a></li>"
        "<li><a href=\"routez\">routez</a></li><li><a href=\"subsz\">subsz</a></li>"
        "<li><a href=\"accountz\">accountz</a></li><li><a href=\"healthz\">healthz</a></li>"
        "<li><a href=\"metrics\">metrics</a></li></ul></body></html>",
        "text/html");
  });
  http.Get("/varz", [this](const httplib::Request& request, httplib::Response& response) {
    Count("/varz");
    ReplyJson(request, response, RenderVarz(source_.Server(), RequestStats(), Clock::now()));
  });
  http.Get("/connz", [this](const httplib::Request& request, httplib::Response& response) {
    Count("/connz");
    ReplyStatusOr(request, response,
                  RenderEndpoint(source_, Endpoint::kConnz, ToQuery(request), {}));
  });
  http.Get("/subsz", [this](const httplib::Request& request, httplib::Response& response) {
    Count("/subsz");
    ReplyStatusOr(request, response,
                  RenderEndpoint(source_, Endpoint::kSubsz, ToQuery(request), {}));
  });
  http.Get("/routez", [this](const httplib::Request& request, httplib::Response& response) {
    Count("/routez");
    ReplyJson(request, response, RenderRoutez(source_.Server().server_id, Clock::now()));
  });
  http.Get("/accountz", [this](const httplib::Request& request, httplib::Response& response) {
    Count("/accountz");
    ReplyStatusOr(
        request, response,
        RenderAccountz(source_.Server(), source_.Accounts(), ToQuery(request), Clock::now()));
  });
  http.Get("/healthz", [this](const httplib::Request& request, httplib::Response& response) {
    Count("/healthz");
    const std::string problem = source_.HealthProblem();
    if (!problem.empty())
      response.status = 503;
    ReplyJson(request, response, RenderHealthz(problem));
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    Count("/metrics");
    response.set_content(
        RenderMetrics(source_.Server(), source_.Accounts(), source_.Connections(false)),
        "text/plain; version=0.0.4");
  });

  if (port == 0) {
    port_ = http.bind_to_any_port(host);
  } else {
    port_ = http.bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    http_.reset();
    port_ = 0;
    return absl::UnavailableError(
        absl::StrCat("cannot listen for monitoring on ", host, ":", port));
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() is a no-op until the loop runs, so Start returns only once it does.
  while (!http_->is_running())
    std::this_thread::yield();
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (http_ != nullptr)
    http_->stop();
  if (thread_.joinable())
    thread_.join();
}

}  // namespace lattice::monitor
