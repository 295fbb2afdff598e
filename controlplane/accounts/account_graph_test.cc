// Tests for import existence checks and service-import cycle detection.
#include "controlplane/accounts/account_graph.h"

#include "gtest/gtest.h"

#include "controlplane/accounts/test_keys.h"

namespace lattice::accounts {
namespace {

using testing::NewAccount;
using testing::NewKey;

jwt::Export ServiceExport(const std::string& subject) {
  jwt::Export e;
  e.subject = subject;
  e.type = jwt::ExportType::kService;
  return e;
}

jwt::Import ServiceImport(const std::string& from, const std::string& subject,
                          const std::string& local = "") {
  jwt::Import i;
  i.account = from;
  i.subject = subject;
  i.local_subject = local;
  i.type = jwt::ExportType::kService;
  return i;
}

class AccountGraphTest : public ::testing::Test {
 protected:
  nkeys::KeyPair a_kp_ = NewKey(nkeys::KeyType::kAccount);
  nkeys::KeyPair b_kp_ = NewKey(nkeys::KeyType::kAccount);
  std::string a_ = a_kp_.public_key().str();
  std::string b_ = b_kp_.public_key().str();
  AccountSet set_{{a_, NewAccount(a_kp_, "A")}, {b_, NewAccount(b_kp_, "B")}};
};

TEST_F(AccountGraphTest, ImportOfExistingExportIsValid) {
  set_[b_].nats.exports.push_back(ServiceExport("svc.>"));
  set_[a_].nats.imports.push_back(ServiceImport(b_, "svc.time"));
  EXPECT_TRUE(ValidateAccountGraph(set_, {a_, b_}, 0).empty());
}

TEST_F(AccountGraphTest, ImportOfMissingExportIsAnError) {
  set_[b_].nats.exports.push_back(ServiceExport("svc.time"));
  set_[a_].nats.imports.push_back(ServiceImport(b_, "svc.date"));
  auto errors = ValidateAccountGraph(set_, {a_}, 0);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("no matching service export"), std::string::npos) << errors[0];
  // Accounts outside `check` are not examined for existence.
  EXPECT_TRUE(ValidateAccountGraph(set_, {b_}, 0).empty());
}

TEST_F(AccountGraphTest, StreamImportDoesNotMatchServiceExport) {
  set_[b_].nats.exports.push_back(ServiceExport("data.>"));
  jwt::Import i = ServiceImport(b_, "data.x");
  i.type = jwt::ExportType::kStream;
  set_[a_].nats.imports.push_back(i);
  EXPECT_EQ(ValidateAccountGraph(set_, {a_}, 0).size(), 1u);
}

TEST_F(AccountGraphTest, MissingExporterAndTokenRequired) {
  std::string ghost = NewKey(nkeys::KeyType::kAccount).public_key().str();
  set_[a_].nats.imports.push_back(ServiceImport(ghost, "x"));
  jwt::Export private_export = ServiceExport("private.x");
  private_export.token_req = true;
  set_[b_].nats.exports.push_back(private_export);
  set_[a_].nats.imports.push_back(ServiceImport(b_, "private.x"));
  auto errors = ValidateAccountGraph(set_, {a_}, 0);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("exporting account does not exist"), std::string::npos);
  EXPECT_NE(errors[1].find("requires an activation token"), std::string::npos);
}

TEST_F(AccountGraphTest, ServiceImportCycleIsDetected) {
  // A imports svc.b from B, whose svc.b is itself an import from A's svc.b export.
  set_[a_].nats.exports.push_back(ServiceExport("svc.b"));
  set_[b_].nats.exports.push_back(ServiceExport("svc.b"));
  set_[a_].nats.imports.push_back(ServiceImport(b_, "svc.b", "local.b"));
  set_[b_].nats.imports.push_back(ServiceImport(a_, "svc.b"));
  set_[a_].nats.imports.push_back(ServiceImport(b_, "svc.b"));
  auto errors = ValidateAccountGraph(set_, {}, 0);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("service import cycle"), std::string::npos) << errors[0];
}

TEST_F(AccountGraphTest, MutualServicesOnDifferentSubjectsAreNotACycle) {
  set_[a_].nats.exports.push_back(ServiceExport("svc.a"));
  set_[b_].nats.exports.push_back(ServiceExport("svc.b"));
  set_[a_].nats.imports.push_back(ServiceImport(b_, "svc.b"));
  set_[b_].nats.imports.push_back(ServiceImport(a_, "svc.a"));
  EXPECT_TRUE(ValidateAccountGraph(set_, {a_, b_}, 0).empty());
}

}  // namespace
}  // namespace lattice::accounts
