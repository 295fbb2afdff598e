// ConnectionSwarm: non-blocking connects and handshakes multiplexed over one epoll instance.
#include "e2e/scale/swarm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lattice::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// Per-connection handshake state while the swarm opens.
struct Handshake {
  std::string in;
  bool sent = false;
};

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<size_t> RaiseFileLimit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Errno("getrlimit");
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return Errno("setrlimit");
    }
  }
  return static_cast<size_t>(limit.rlim_cur);
}

ConnectionSwarm::ConnectionSwarm(std::vector<int> fds)
    : fds_(std::move(fds)), pending_(fds_.size()) {}

ConnectionSwarm::~ConnectionSwarm() {
  CloseAll();
}

void ConnectionSwarm::CloseAll() {
  for (int& fd : fds_) {
    if (fd >= 0) {
      close(fd);
      fd = -1;
    }
  }
}

absl::StatusOr<std::unique_ptr<ConnectionSwarm>> ConnectionSwarm::Open(const Options& options) {
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    return Errno("epoll_create1");
  }
  std::vector<int> fds;
  fds.reserve(options.count);
  // Whatever happens, the epoll fd goes; on failure the sockets go too.
  auto fail = [&](absl::Status status) {
    close(ep);
    for (int fd : fds) {
      close(fd);
    }
    return status;
  };

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string hello = absl::StrCat("CONNECT ", options.connect_json, "\r\nPING\r\n");

  std::vector<Handshake> states;
  states.reserve(options.count);
  size_t in_flight = 0;
  size_t done = 0;
  const Clock::time_point deadline = Clock::now() + options.deadline;
  std::vector<epoll_event> events(256);
  while (done < options.count) {
    while (fds.size() < options.count && in_flight < options.max_in_flight) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        return fail(Errno(absl::StrCat("socket #", fds.size())));
      }
      fds.push_back(fd);
      states.emplace_back();
      if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 &&
          errno != EINPROGRESS) {
        return fail(Errno(absl::StrCat("connect #", fds.size() - 1)));
      }
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
      ev.data.u64 = fds.size() - 1;
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        return fail(Errno("epoll_ctl add"));
      }
      ++in_flight;
    }
    const int left = RemainingMs(deadline);
    if (left == 0) {
      return fail(absl::DeadlineExceededError(absl::StrCat(
          done, " of ", options.count, " handshakes completed, ", in_flight, " in progress")));
    }
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(Errno("epoll_wait"));
    }
    for (int e = 0; e < n; ++e) {
      const size_t i = events[e].data.u64;
      const int fd = fds[i];
      Handshake& st = states[i];
      if (!st.sent && (events[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          return fail(
              absl::UnavailableError(absl::StrCat("connection #", i, " failed after ", done,
                                                  " completed handshakes: ", std::strerror(err))));
        }
        // A few dozen bytes into an empty socket buffer: one send writes them all.
        if (send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(hello.size())) {
          return fail(Errno(absl::StrCat("send CONNECT on #", i)));
        }
        st.sent = true;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = i;
        if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) != 0) {
          return fail(Errno("epoll_ctl mod"));
        }
      }
      if (!(events[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        continue;
      }
      char buf[4096];
      const ssize_t got = recv(fd, buf, sizeof(buf), 0);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        continue;
      }
      if (got <= 0) {
        return fail(absl::UnavailableError(absl::StrCat(
            "connection #", i, " closed by the server (", got < 0 ? std::strerror(errno) : "EOF",
            ") after ", done, " handshakes; it read: ", st.in)));
      }
      st.in.append(buf, static_cast<size_t>(got));
      if (st.in.rfind("INFO ", 0) != 0 && st.in.size() >= 5) {
        return fail(absl::InternalError(absl::StrCat("connection #", i, " greeted with: ", st.in)));
      }
      if (st.in.find("-ERR") != std::string::npos) {
        return fail(absl::InternalError(absl::StrCat("connection #", i, " got: ", st.in)));
      }
      if (st.in.find("\r\nPONG\r\n") != std::string::npos) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        std::string().swap(st.in);
        --in_flight;
        ++done;
      }
    }
  }
  close(ep);
  return std::unique_ptr<ConnectionSwarm>(new ConnectionSwarm(std::move(fds)));
}

absl::Status ConnectionSwarm::Send(size_t i, std::string_view bytes,
                                   std::chrono::milliseconds timeout) {
  if (i >= fds_.size() || fds_[i] < 0) {
    return absl::InvalidArgumentError(absl::StrCat("no connection #", i));
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = send(fds_[i], bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Errno(absl::StrCat("send on #", i));
    }
    pollfd p{fds_[i], POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) {
      return absl::DeadlineExceededError(absl::StrCat("send on #", i));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ConnectionSwarm::ReadUntil(size_t i, std::string_view marker,
                                                       std::chrono::milliseconds timeout) {
  if (i >= fds_.size() || fds_[i] < 0) {
    return absl::InvalidArgumentError(absl::StrCat("no connection #", i));
  }
  std::string& in = pending_[i];
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    const size_t at = in.find(marker);
    if (at != std::string::npos) {
      std::string out = in.substr(0, at + marker.size());
      in.erase(0, at + marker.size());
      return out;
    }
    char buf[16384];
    const ssize_t n = recv(fds_[i], buf, sizeof(buf), 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      return absl::UnavailableError(absl::StrCat("#", i, " closed; it read: ", in));
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Errno(absl::StrCat("recv on #", i));
    }
    pollfd p{fds_[i], POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("#", i, " waiting for '", std::string(marker), "'; it read: ", in));
    }
  }
}

}  // namespace lattice::e2e
