// Service-import response routes: reused route slots never hand a late answer to the next
// requester, and malformed or forged "_R_" subjects reach nobody.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/server/test_client.h"

namespace lattice::server {
namespace {

using testing::RawClient;
using testing::StartServer;
using testing::TestOptions;

options::Options Accounts(accounts::ResponseType type) {
  options::Options o = TestOptions();
  accounts::AccountSpec a;
  a.name = "A";
  accounts::ServiceExport svc;
  svc.subject = "svc";
  svc.response_type = type;
  a.service_exports.push_back(svc);
  accounts::AccountSpec b;
  b.name = "B";
  accounts::ServiceImport ask;
  ask.account = "A";
  ask.subject = "svc";
  ask.to = "ask";
  b.service_imports.push_back(ask);
  o.accounts = {a, b};
  o.users.push_back(testing::PasswordUser("a", "A"));
  o.users.push_back(testing::PasswordUser("b", "B"));
  return o;
}

class ServiceImportTest : public ::testing::Test {
 protected:
  void Start(accounts::ResponseType type) {
    server_ = StartServer(Accounts(type));
    a_ = Connect("a");
    b_ = Connect("b");
    a_->Send("SUB svc 1\r\n");
    a_->Sync();
    b_->Send("SUB _INBOX.one 1\r\nSUB _INBOX.two 2\r\n");
    b_->Sync();
  }
  std::unique_ptr<RawClient> Connect(const std::string& user) {
    auto c = std::make_unique<RawClient>(server_->port());
    c->Handshake("{\"verbose\":false,\"user\":\"" + user + "\",\"pass\":\"pw\"}");
    return c;
  }
  // Sends a request from B with `inbox` and returns the reply subject A sees.
  std::string Request(const std::string& inbox) {
    b_->Send("PUB ask " + inbox + " 1\r\nq\r\n");
    std::string msg = a_->ReadUntil("q\r\n");
    const std::string head = "MSG svc 1 ";
    EXPECT_THAT(msg, ::testing::StartsWith(head + "_R_."));
    std::string reply = msg.substr(head.size());
    return reply.substr(0, reply.find(' '));
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<RawClient> a_;
  std::unique_ptr<RawClient> b_;
};

TEST_F(ServiceImportTest, ALateAnswerOnAReusedSlotReachesNobody) {
  Start(accounts::ResponseType::kSingleton);
  std::string first = Request("_INBOX.one");
  a_->Send("PUB " + first + " 2\r\nr1\r\n");
  EXPECT_EQ(b_->ReadUntil("r1\r\n"), "MSG _INBOX.one 1 2\r\nr1\r\n");
  // The freed slot is taken by the next request: same subject prefix, another nonce.
  std::string second = Request("_INBOX.two");
  ASSERT_NE(first, second);
  ASSERT_EQ(first.size(), second.size());
  constexpr size_t kNonceChars = 8;  // the token ends with the slot's nonce
  ASSERT_EQ(first.substr(0, first.size() - kNonceChars),
            second.substr(0, second.size() - kNonceChars));
  // A duplicate of the first answer must not reach the second requester.
  a_->Send("PUB " + first + " 4\r\nlate\r\n");
  a_->Sync();
  EXPECT_EQ(b_->Sync(), "");
  a_->Send("PUB " + second + " 2\r\nr2\r\n");
  EXPECT_EQ(b_->ReadUntil("r2\r\n"), "MSG _INBOX.two 2 2\r\nr2\r\n");
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 0u);
}

TEST_F(ServiceImportTest, MalformedResponseSubjectsAreDropped) {
  Start(accounts::ResponseType::kStream);
  std::string reply = Request("_INBOX.one");
  std::string prefix = reply.substr(0, reply.rfind('.') + 1);
  std::string token = reply.substr(prefix.size());
  std::vector<std::string> forged = {
      prefix + token.substr(1),                  // too short
      prefix + token + "x",                      // too long
      prefix + "~" + token.substr(1),            // outside the alphabet
      prefix + "zzzz" + token.substr(4),         // slot out of range
      prefix + token.substr(0, 4) + "00000000",  // wrong nonce
      prefix + token + ".extra",                 // deeper subject
      prefix.substr(0, prefix.size() - 1),       // the prefix alone
  };
  for (const std::string& subject : forged) {
    a_->Send("PUB " + subject + " 1\r\nx\r\n");
  }
  a_->Sync();
  EXPECT_EQ(b_->Sync(), "");
  // The genuine route is untouched and, for stream responses, stays open.
  a_->Send("PUB " + reply + " 2\r\nr1\r\nPUB " + reply + " 2\r\nr2\r\n");
  EXPECT_EQ(b_->ReadUntil("r2\r\n"), "MSG _INBOX.one 1 2\r\nr1\r\nMSG _INBOX.one 1 2\r\nr2\r\n");
  EXPECT_EQ(server_->context().registry().ResponseRouteCount(), 1u);
}

}  // namespace
}  // namespace lattice::server
