// Interest reporting on a real in-process Server: real client connections subscribe and
// unsubscribe (plain, queue, auto-unsubscribe, connection close, account removal) and the
// tracker + source report exactly the client interest, never imports' internal subscriptions.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::Eventually;
using testing::RawClient;
using testing::TestOptions;

using Key = std::tuple<std::string, std::string, std::string>;

// A: exports a service and a stream; B imports both (internal subscriptions in both indexes).
options::Options TwoAccounts() {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  accounts::ServiceExport svc;
  svc.subject = "svc";
  a.service_exports.push_back(svc);
  accounts::StreamExport events;
  events.subject = "events.>";
  a.stream_exports.push_back(events);
  accounts::AccountSpec b;
  b.name = "B";
  accounts::ServiceImport ask;
  ask.account = "A";
  ask.subject = "svc";
  ask.to = "ask";
  b.service_imports.push_back(ask);
  accounts::StreamImport feed;
  feed.account = "A";
  feed.subject = "events.>";
  b.stream_imports.push_back(feed);
  o.accounts = {a, b};
  o.users.push_back(testing::PasswordUser("a", "A"));
  o.users.push_back(testing::PasswordUser("b", "B"));
  return o;
}

class ServerInterestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(TwoAccounts());
    server_->EnableInterestReporting();
    ASSERT_TRUE(server_->Start().ok());
    tracker_ = server_->interest_tracker();
    source_ = server_->interest_source();
    ASSERT_NE(tracker_, nullptr);
    ASSERT_NE(source_, nullptr);
    tracker_->SetTracking(true);  // as the agent does right before a snapshot
  }

  std::unique_ptr<RawClient> Connect(const std::string& user) {
    auto c = std::make_unique<RawClient>(server_->port());
    c->Handshake("{\"verbose\":false,\"user\":\"" + user + "\",\"pass\":\"pw\"}");
    return c;
  }

  std::map<Key, uint32_t> Snapshot() {
    std::map<Key, uint32_t> out;
    source_->ForEach([&](const interest::InterestKey& k, uint32_t weight) {
      out[Key(k.account, k.subject, k.queue)] = weight;
    });
    return out;
  }

  // Drains the dirty keys with their current weights, as the agent's writer does.
  std::map<Key, uint32_t> DrainWeights() {
    std::map<Key, uint32_t> out;
    for (const interest::InterestKey& k : tracker_->Drain(1000)) {
      out[Key(k.account, k.subject, k.queue)] = source_->Weight(k);
    }
    return out;
  }

  uint32_t Weight(const std::string& account, const std::string& subject,
                  const std::string& queue = "") {
    return source_->Weight(interest::InterestKey{account, subject, queue});
  }

  std::unique_ptr<Server> server_;
  interest::InterestTracker* tracker_ = nullptr;
  const interest::InterestSource* source_ = nullptr;
};

TEST_F(ServerInterestTest, UnmanagedServerHasNoTracker) {
  auto plain = testing::StartServer();
  EXPECT_EQ(plain->interest_tracker(), nullptr);
  EXPECT_EQ(plain->interest_source(), nullptr);
  RawClient c(plain->port());
  c.Handshake();
  c.Send("SUB foo 1\r\nUNSUB 1\r\n");
  EXPECT_EQ(c.Sync(), "");  // subscribing works without one
}

TEST_F(ServerInterestTest, InternalSubscriptionsAreNotInterest) {
  // The imports put handlers into both indexes (and $SYS has its own), yet nothing is
  // reported until a client subscribes.
  auto a = server_->context().registry().Find("A");
  auto b = server_->context().registry().Find("B");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_GT(a->sublist().count(), 0u);  // the stream import's handler on events.>
  EXPECT_GT(b->sublist().count(), 0u);  // the service import's handler on ask
  EXPECT_TRUE(Snapshot().empty());

  // A request through the service import creates the exporter's "_R_" response route.
  auto ca = Connect("a");
  auto cb = Connect("b");
  ca->Send("SUB svc 1\r\n");
  ca->Sync();
  cb->Send("SUB _INBOX.x 1\r\nPUB ask _INBOX.x 1\r\nq\r\n");
  cb->Sync();
  std::string request = ca->ReadUntil("q\r\n");
  ASSERT_NE(request.find("_R_."), std::string::npos) << request;
  EXPECT_EQ(Snapshot(),
            (std::map<Key, uint32_t>{{Key("A", "svc", ""), 1}, {Key("B", "_INBOX.x", ""), 1}}));
  EXPECT_EQ(DrainWeights(),
            (std::map<Key, uint32_t>{{Key("A", "svc", ""), 1}, {Key("B", "_INBOX.x", ""), 1}}));
}

TEST_F(ServerInterestTest, PlainSubscriptionsMarkOnlyTransitions) {
  auto c = Connect("a");
  c->Send("SUB foo.* 1\r\n");
  c->Sync();
  EXPECT_EQ(DrainWeights(), (std::map<Key, uint32_t>{{Key("A", "foo.*", ""), 1}}));
  auto other = Connect("a");
  other->Send("SUB foo.* 7\r\n");  // a second one: no transition
  other->Sync();
  EXPECT_EQ(tracker_->pending(), 0u);
  c->Send("UNSUB 1\r\n");  // one remains
  c->Sync();
  EXPECT_EQ(tracker_->pending(), 0u);
  EXPECT_EQ(Weight("A", "foo.*"), 1u);
  other->Send("UNSUB 7\r\n");
  other->Sync();
  EXPECT_EQ(DrainWeights(), (std::map<Key, uint32_t>{{Key("A", "foo.*", ""), 0}}));
  EXPECT_TRUE(Snapshot().empty());
}

TEST_F(ServerInterestTest, QueueGroupsReportMemberCounts) {
  auto c1 = Connect("a");
  auto c2 = Connect("a");
  c1->Send("SUB work q 1\r\nSUB work q 2\r\n");
  c1->Sync();
  c2->Send("SUB work q 1\r\nSUB work r 2\r\n");
  c2->Sync();
  EXPECT_EQ(DrainWeights(),
            (std::map<Key, uint32_t>{{Key("A", "work", "q"), 3}, {Key("A", "work", "r"), 1}}));
  c1->Send("UNSUB 2\r\n");
  c1->Sync();
  EXPECT_EQ(DrainWeights(), (std::map<Key, uint32_t>{{Key("A", "work", "q"), 2}}));
  // Closing a connection removes its members.
  c2.reset();
  ASSERT_TRUE(Eventually([&] { return Weight("A", "work", "q") == 1; }));
  ASSERT_TRUE(Eventually([&] { return tracker_->pending() == 2; }));
  EXPECT_EQ(DrainWeights(),
            (std::map<Key, uint32_t>{{Key("A", "work", "q"), 1}, {Key("A", "work", "r"), 0}}));
  EXPECT_EQ(Snapshot(), (std::map<Key, uint32_t>{{Key("A", "work", "q"), 1}}));
}

TEST_F(ServerInterestTest, AutoUnsubscribeIsReported) {
  auto c = Connect("a");
  c->Send("SUB once 9\r\nUNSUB 9 1\r\n");
  c->Sync();
  EXPECT_EQ(DrainWeights(), (std::map<Key, uint32_t>{{Key("A", "once", ""), 1}}));
  c->Send("PUB once 2\r\nhi\r\n");
  c->ReadUntil("hi\r\n");
  ASSERT_TRUE(Eventually([&] { return tracker_->pending() == 1; }));
  EXPECT_EQ(DrainWeights(), (std::map<Key, uint32_t>{{Key("A", "once", ""), 0}}));
}

TEST_F(ServerInterestTest, RemovedAccountsReportZeroAndLeaveTheSnapshot) {
  auto cb = Connect("b");
  cb->Send("SUB feed.> 1\r\nSUB jobs q 2\r\n");
  cb->Sync();
  EXPECT_EQ(DrainWeights(),
            (std::map<Key, uint32_t>{{Key("B", "feed.>", ""), 1}, {Key("B", "jobs", "q"), 1}}));
  server_->RemoveAccount("B");
  EXPECT_TRUE(cb->WaitForClose());
  // The closed connection's subscriptions are marked; the account is gone, so they read 0.
  ASSERT_TRUE(Eventually([&] { return tracker_->pending() == 2; }));
  EXPECT_EQ(DrainWeights(),
            (std::map<Key, uint32_t>{{Key("B", "feed.>", ""), 0}, {Key("B", "jobs", "q"), 0}}));
  EXPECT_TRUE(Snapshot().empty());
}

TEST_F(ServerInterestTest, NothingIsMarkedWhileNotTracking) {
  tracker_->SetTracking(false);  // no session: the next snapshot carries the truth
  auto c = Connect("a");
  c->Send("SUB foo 1\r\n");
  c->Sync();
  EXPECT_EQ(tracker_->pending(), 0u);
  EXPECT_EQ(Snapshot(), (std::map<Key, uint32_t>{{Key("A", "foo", ""), 1}}));
}

}  // namespace
}  // namespace lattice::server
