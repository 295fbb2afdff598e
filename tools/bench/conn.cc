// Non-blocking NATS client connection used by every lattice-bench scenario.
#include "tools/bench/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lattice::bench {
namespace {

constexpr size_t kInitialReadBuffer = 16 * 1024;
constexpr int kMaxReadsPerCall = 16;

// Appends `text` as a JSON string literal (quotes included).
void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

int64_t RemainingMs(absl::Time deadline) {
  return std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
}

// Collects what the handshake needs to know about the server's replies. Thread: Open()'s caller.
class HandshakeSink : public BasicSink {
 public:
  using BasicSink::BasicSink;
  void OnInfo(std::string_view json) override { saw_info_ = true; }
  bool saw_info_ = false;
};

}  // namespace

absl::StatusOr<Endpoint> ParseUrl(std::string_view url) {
  std::string rest(url);
  if (rest.rfind("nats://", 0) == 0) {
    rest = rest.substr(7);
  }
  Endpoint ep;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t sep = userinfo.find(':');
    ep.user = userinfo.substr(0, sep);
    ep.pass = sep == std::string::npos ? "" : userinfo.substr(sep + 1);
    if (ep.user.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("empty user in url: ", std::string(url)));
    }
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    ep.host = rest;
  } else {
    ep.host = rest.substr(0, colon);
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in url: ", std::string(url)));
    }
    ep.port = static_cast<uint16_t>(port);
  }
  if (ep.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no host in url: ", std::string(url)));
  }
  if (ep.host == "localhost") {
    ep.host = "127.0.0.1";
  }
  return ep;
}

Conn::~Conn() {
  Close();
}

void Conn::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void Conn::ReserveReadBuffer(size_t bytes) {
  if (bytes <= in_cap_) {
    return;
  }
  std::unique_ptr<char[]> grown(new char[bytes]);
  if (in_end_ > in_start_) {
    std::memcpy(grown.get(), in_.get() + in_start_, in_end_ - in_start_);
  }
  in_end_ -= in_start_;
  in_start_ = 0;
  in_ = std::move(grown);
  in_cap_ = bytes;
}

absl::Status Conn::Open(const Endpoint& ep, const ConnectOptions& opts, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(ep.port);
  if (int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolve ", ep.host, ": ", gai_strerror(rc)));
  }
  sockaddr_in addr{};
  std::memcpy(&addr, res->ai_addr, sizeof(addr));
  ::freeaddrinfo(res);

  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return absl::ResourceExhaustedError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  }
  pollfd pfd{fd_, POLLOUT, 0};
  if (::poll(&pfd, 1, static_cast<int>(RemainingMs(deadline))) <= 0) {
    return absl::DeadlineExceededError("connect timed out");
  }
  int so_error = 0;
  socklen_t len = sizeof(so_error);
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(so_error)));
  }

  if (in_cap_ == 0) {
    ReserveReadBuffer(kInitialReadBuffer);
  }
  std::string connect =
      absl::StrCat("CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"c++\",",
                   "\"version\":\"0.1\",\"protocol\":1,\"name\":");
  AppendJsonString(&connect, opts.name);
  absl::StrAppend(&connect, ",\"echo\":", opts.echo ? "true" : "false",
                  ",\"headers\":", opts.headers ? "true" : "false");
  if (!ep.user.empty()) {
    connect += ",\"user\":";
    AppendJsonString(&connect, ep.user);
    connect += ",\"pass\":";
    AppendJsonString(&connect, ep.pass);
  }
  connect += "}\r\n";
  Append(connect);
  HandshakeSink sink(this);
  absl::Status st = RoundTrip(sink, sink.pongs(), deadline - absl::Now());
  if (!sink.err().empty()) {
    return absl::PermissionDeniedError(absl::StrCat("server: -ERR '", sink.err(), "'"));
  }
  if (st.ok() && !sink.saw_info_) {
    return absl::FailedPreconditionError("server sent no INFO");
  }
  return st;
}

IoResult Conn::Flush() {
  while (out_pos_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    }
    error_ = absl::StrCat("send: ", std::strerror(errno));
    return IoResult::kError;
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > (1u << 20)) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  return IoResult::kOk;
}

IoResult Conn::ReadAndParse(ServerOpSink& sink) {
  for (int i = 0; i < kMaxReadsPerCall; ++i) {
    if (in_end_ == in_cap_) {
      if (in_start_ > 0) {
        std::memmove(in_.get(), in_.get() + in_start_, in_end_ - in_start_);
        in_end_ -= in_start_;
        in_start_ = 0;
      } else {
        ReserveReadBuffer(in_cap_ * 2);  // one op larger than the buffer
      }
    }
    ssize_t n = ::recv(fd_, in_.get() + in_end_, in_cap_ - in_end_, 0);
    if (n == 0) {
      error_ = "connection closed by server";
      return IoResult::kClosed;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return IoResult::kOk;
      }
      error_ = absl::StrCat("recv: ", std::strerror(errno));
      return IoResult::kError;
    }
    in_end_ += static_cast<size_t>(n);
    size_t consumed = 0;
    std::string_view view(in_.get() + in_start_, in_end_ - in_start_);
    if (parser_.Parse(view, &consumed, sink) == ParseStatus::kError) {
      error_ = absl::StrCat("protocol error: ", std::string(parser_.error()));
      return IoResult::kError;
    }
    in_start_ += consumed;
    if (in_start_ == in_end_) {
      in_start_ = in_end_ = 0;
    }
    if (static_cast<size_t>(n) < in_cap_ / 2) {
      return IoResult::kOk;  // the socket is most likely drained
    }
  }
  return IoResult::kOk;
}

short Conn::Wait(int timeout_ms) {
  pollfd pfd{fd_, static_cast<short>(POLLIN | (pending_out() > 0 ? POLLOUT : 0)), 0};
  int rc = ::poll(&pfd, 1, timeout_ms);
  return rc > 0 ? pfd.revents : 0;
}

absl::Status Conn::RoundTrip(ServerOpSink& sink, const uint64_t& pongs, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  uint64_t want = pongs + 1;
  Append("PING\r\n");
  while (pongs < want) {
    if (Flush() != IoResult::kOk) {
      return absl::UnavailableError(error_);
    }
    int64_t left = RemainingMs(deadline);
    if (left == 0) {
      return absl::DeadlineExceededError("no PONG from server in time");
    }
    short ev = Wait(static_cast<int>(std::min<int64_t>(left, 100)));
    if (ev & (POLLIN | POLLERR | POLLHUP)) {
      IoResult r = ReadAndParse(sink);
      if (r != IoResult::kOk) {
        return absl::UnavailableError(error_);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace lattice::bench
