// A raw-socket NATS client for exact-bytes protocol checks (see raw_client.h).
#include "e2e/harness/raw_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "common/base/status_macros.h"
#include "e2e/harness/net.h"

namespace lattice::e2e {
namespace {

std::chrono::steady_clock::time_point DeadlineIn(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

// Payload size declared by a MSG/HMSG control line (the last field), or -1 when malformed.
long DeclaredSize(absl::string_view line) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  long size = -1;
  if (fields.size() < 3 || !absl::SimpleAtoi(fields.back(), &size)) {
    return -1;
  }
  return size;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawClient>> RawClient::Connect(int port,
                                                              std::chrono::milliseconds timeout) {
  LATTICE_ASSIGN_OR_RETURN(int fd, ConnectTcp(port, timeout));
  return std::unique_ptr<RawClient>(new RawClient(fd));
}

absl::StatusOr<std::unique_ptr<RawClient>> RawClient::ConnectAndHandshake(
    int port, const std::string& connect_json) {
  LATTICE_ASSIGN_OR_RETURN(std::unique_ptr<RawClient> client, Connect(port));
  LATTICE_RETURN_IF_ERROR(client->ReadInfo().status());
  LATTICE_RETURN_IF_ERROR(client->Send(absl::StrCat("CONNECT ", connect_json, "\r\n")));
  LATTICE_ASSIGN_OR_RETURN(std::vector<RawOp> before_pong, client->Sync());
  for (const RawOp& op : before_pong) {
    if (op.verb == "-ERR") {
      return absl::PermissionDeniedError(op.line);
    }
  }
  return client;
}

RawClient::~RawClient() {
  close(fd_);
}

absl::StatusOr<nlohmann::json> RawClient::ReadInfo(std::chrono::milliseconds timeout) {
  LATTICE_ASSIGN_OR_RETURN(RawOp op, ReadOp(timeout));
  if (op.verb != "INFO") {
    return absl::DataLossError(absl::StrCat("expected INFO, got: ", op.line));
  }
  info_line_ = op.line + "\r\n";
  size_t brace = op.line.find('{');
  if (brace == std::string::npos) {
    return absl::DataLossError(absl::StrCat("INFO without JSON: ", op.line));
  }
  nlohmann::json info = nlohmann::json::parse(op.line.substr(brace), nullptr, false);
  if (info.is_discarded() || !info.is_object()) {
    return absl::DataLossError(absl::StrCat("INFO JSON does not parse: ", op.line));
  }
  return info;
}

absl::Status RawClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status RawClient::Fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) {
    return absl::UnavailableError("connection closed by server");
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd pfd{fd_, POLLIN, 0};
  int rc = poll(&pfd, 1, left.count() < 0 ? 0 : static_cast<int>(left.count()));
  if (rc == 0) {
    return absl::DeadlineExceededError("no data from server before the deadline");
  }
  char chunk[65536];
  ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
  if (n < 0 && errno == EINTR) {
    return absl::OkStatus();
  }
  if (n <= 0) {
    closed_ = true;
    return absl::UnavailableError("connection closed by server");
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return absl::OkStatus();
}

bool RawClient::ParseOp(RawOp* op) {
  size_t eol = buffer_.find("\r\n");
  if (eol == std::string::npos) {
    return false;
  }
  std::string line = buffer_.substr(0, eol);
  std::string verb = line.substr(0, line.find_first_of(" \t"));
  absl::AsciiStrToUpper(&verb);
  size_t consumed = eol + 2;
  std::string payload;
  if (verb == "MSG" || verb == "HMSG") {
    long size = DeclaredSize(line);
    if (size >= 0) {
      if (buffer_.size() < consumed + static_cast<size_t>(size) + 2) {
        return false;
      }
      payload = buffer_.substr(consumed, static_cast<size_t>(size));
      consumed += static_cast<size_t>(size) + 2;
    }
  }
  buffer_.erase(0, consumed);
  op->verb = std::move(verb);
  op->line = std::move(line);
  op->payload = std::move(payload);
  return true;
}

absl::StatusOr<RawOp> RawClient::ReadOp(std::chrono::milliseconds timeout) {
  const auto deadline = DeadlineIn(timeout);
  while (true) {
    RawOp op;
    while (ParseOp(&op)) {
      if (op.verb == "PING" && auto_pong_) {
        (void)Send("PONG\r\n");
        continue;
      }
      return op;
    }
    LATTICE_RETURN_IF_ERROR(Fill(deadline));
  }
}

absl::StatusOr<std::vector<RawOp>> RawClient::ReadUntil(std::string_view verb,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = DeadlineIn(timeout);
  std::vector<RawOp> ops;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    absl::StatusOr<RawOp> op = ReadOp(std::max(left, std::chrono::milliseconds(0)));
    if (!op.ok()) {
      return absl::Status(op.status().code(),
                          absl::StrCat(op.status().message(), " (waiting for ", std::string(verb),
                                       ", read so far: ", DescribeOps(ops), ")"));
    }
    bool done = op->verb == verb;
    ops.push_back(*std::move(op));
    if (done) {
      return ops;
    }
  }
}

absl::StatusOr<std::vector<RawOp>> RawClient::Sync(std::chrono::milliseconds timeout) {
  LATTICE_RETURN_IF_ERROR(Send("PING\r\n"));
  LATTICE_ASSIGN_OR_RETURN(std::vector<RawOp> ops, ReadUntil("PONG", timeout));
  ops.pop_back();
  return ops;
}

bool RawClient::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = DeadlineIn(timeout);
  while (true) {
    RawOp op;
    // Message payloads are dropped: a slow consumer may drain megabytes before the close.
    while (ParseOp(&op)) {
      op.payload.clear();
      drained_.push_back(std::move(op));
    }
    absl::Status status = Fill(deadline);
    if (absl::IsUnavailable(status)) {
      while (ParseOp(&op)) {
        op.payload.clear();
        drained_.push_back(std::move(op));
      }
      return true;
    }
    if (!status.ok()) {
      return false;
    }
  }
}

std::string DescribeOps(const std::vector<RawOp>& ops) {
  std::string out = "[";
  for (const RawOp& op : ops) {
    absl::StrAppend(&out, out.size() > 1 ? ", " : "", "\"", op.line.substr(0, 200), "\"");
  }
  return out + "]";
}

}  // namespace lattice::e2e
