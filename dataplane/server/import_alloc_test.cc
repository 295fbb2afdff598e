// Counts the heap allocations the server's threads make while imported traffic flows: a
// stream import (rewritten subject) and service requests with their responses must not
// allocate per message once warm.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

#include "dataplane/server/test_client.h"

namespace {

// Allocation counting for every thread except the ones that opt out (the test's own thread,
// whose client buffers grow with the traffic it reads).
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
thread_local bool t_uncounted = false;

void* CountedAlloc(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed) && !t_uncounted) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    std::abort();  // no exceptions in this code base
  }
  return p;
}

}  // namespace

void* operator new(std::size_t n) {
  return CountedAlloc(n);
}
void* operator new[](std::size_t n) {
  return CountedAlloc(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace lattice::server {
namespace {

using testing::RawClient;
using testing::StartServer;
using testing::TestOptions;

options::User UserIn(const std::string& name, const std::string& account) {
  return testing::PasswordUser(name, account);
}

// A exports a stream and a service; B imports the stream under another name (a wildcard
// rewrite, so the rewritten subject is built per message) and the service as "ask.*".
options::Options TwoAccounts() {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  a.stream_exports.push_back({"feed.>", {}});
  accounts::ServiceExport svc;
  svc.subject = "svc.*";
  a.service_exports.push_back(svc);
  accounts::AccountSpec b;
  b.name = "B";
  accounts::StreamImport feed;
  feed.account = "A";
  feed.subject = "feed.*";
  feed.to = "in.*";
  b.stream_imports.push_back(feed);
  accounts::ServiceImport ask;
  ask.account = "A";
  ask.subject = "svc.*";
  ask.to = "ask.*";
  b.service_imports.push_back(ask);
  o.accounts = {a, b};
  o.users = {UserIn("a", "A"), UserIn("b", "B")};
  return o;
}

std::unique_ptr<RawClient> Client(int port, const std::string& user) {
  auto c = std::make_unique<RawClient>(port);
  c->Handshake("{\"verbose\":false,\"user\":\"" + user + "\",\"pass\":\"pw\"}");
  return c;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The reply subjects of the "MSG svc.one 1 <reply> 3" requests in `text`, in order.
std::vector<std::string> Replies(const std::string& text) {
  std::vector<std::string> out;
  const std::string head = "MSG svc.one 1 ";
  for (size_t at = text.find(head); at != std::string::npos; at = text.find(head, at + 1)) {
    size_t start = at + head.size();
    out.push_back(text.substr(start, text.find(' ', start) - start));
  }
  return out;
}

class ImportAllocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_uncounted = true;
    server_ = StartServer(TwoAccounts());
    a_ = Client(server_->port(), "a");
    b_ = Client(server_->port(), "b");
  }
  void TearDown() override { g_counting.store(false); }

  // Counts server allocations while `fn` runs.
  template <typename Fn>
  uint64_t Allocations(Fn fn) {
    g_allocations.store(0);
    g_counting.store(true);
    fn();
    g_counting.store(false);
    return g_allocations.load();
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<RawClient> a_;
  std::unique_ptr<RawClient> b_;
};

TEST_F(ImportAllocationTest, StreamImportDoesNotAllocatePerMessage) {
  constexpr int kMessages = 5000;
  b_->Send("SUB in.* 1\r\n");
  b_->Sync();
  std::string batch;
  for (int i = 0; i < kMessages; ++i) {
    batch += "PUB feed.x 2\r\nhi\r\n";
  }
  batch += "PUB feed.x 3\r\nend\r\n";
  // Warm-up round: caches, scratch buffers and outbound buffers reach their steady size.
  a_->Send(batch);
  std::string warm = b_->ReadUntil("MSG in.x 1 3\r\nend\r\n");
  ASSERT_EQ(Count(warm, "MSG in.x 1 2\r\nhi\r\n"), static_cast<size_t>(kMessages));

  std::string received;
  uint64_t allocations = Allocations([&] {
    a_->Send(batch);
    received = b_->ReadUntil("MSG in.x 1 3\r\nend\r\n");
  });
  EXPECT_EQ(Count(received, "MSG in.x 1 2\r\nhi\r\n"), static_cast<size_t>(kMessages));
  std::printf("stream import: %llu server allocations for %d messages\n",
              static_cast<unsigned long long>(allocations), kMessages);
  // Per-message allocation would show as >= kMessages; buffer growth and timers are a few.
  EXPECT_LT(allocations, static_cast<uint64_t>(kMessages / 50)) << allocations;
}

TEST_F(ImportAllocationTest, ServiceRequestsDoNotAllocateForTheirRoutes) {
  constexpr int kRequests = 500;
  // A client library's inbox: longer than std::string's inline capacity.
  constexpr std::string_view kInbox = "_INBOX.Bv7k2mQ9xZr4TpL8wN3cYd.1";
  const std::string kResponse = "MSG " + std::string(kInbox) + " 9 3\r\nres\r\n";
  a_->Send("SUB svc.* 1\r\n");
  a_->Sync();
  b_->Send("SUB " + std::string(kInbox) + " 9\r\n");
  b_->Sync();
  std::string requests;
  for (int i = 0; i < kRequests; ++i) {
    requests += "PUB ask.one " + std::string(kInbox) + " 3\r\nreq\r\n";
  }
  // One pipelined round: every request reaches A with its own reply, every response reaches
  // B once. Returns the number of responses B received.
  auto round = [&] {
    b_->Send(requests);
    std::string seen;
    std::vector<std::string> replies;
    while (replies.size() < static_cast<size_t>(kRequests)) {
      std::string more = a_->ReadUntil("req\r\n");
      if (more.find("req\r\n") == std::string::npos) {
        break;
      }
      seen += more;
      replies = Replies(seen);
    }
    std::string responses;
    for (const std::string& reply : replies) {
      responses += "PUB " + reply + " 3\r\nres\r\n";
    }
    a_->Send(responses);
    a_->Sync();
    std::string got;
    while (Count(got, kResponse) < replies.size()) {
      std::string more = b_->ReadUntil("res\r\n");
      if (more.find("res\r\n") == std::string::npos) {
        break;
      }
      got += more;
    }
    return Count(got, kResponse);
  };
  ASSERT_EQ(round(), static_cast<size_t>(kRequests));  // warm-up: the route table's slots
  size_t answered = 0;
  uint64_t allocations = Allocations([&] { answered = round(); });
  EXPECT_EQ(answered, static_cast<size_t>(kRequests));
  std::printf("service import: %llu server allocations for %d requests and responses\n",
              static_cast<unsigned long long>(allocations), kRequests);
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 0u);
  // The request hop (route entry, "_R_" reply) allocates nothing, and the exporter's index
  // does not cache the one-off "_R_" subjects (5 allocations per request and response before
  // either). What remains, 2, is the responder's uncached match result for its new subject.
  EXPECT_LT(allocations, static_cast<uint64_t>(kRequests) * 3) << allocations;
}

}  // namespace
}  // namespace lattice::server
