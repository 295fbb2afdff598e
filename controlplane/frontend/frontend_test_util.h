// Test fixture: a Frontend over a fresh RocksStore, a test vault, a fake clock and keys.
#pragma once

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "gtest/gtest.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/store/rocks_store.h"

namespace lattice::frontend::testing {

inline nkeys::KeyPair NewKey(nkeys::KeyType type) {
  auto kp = nkeys::KeyPair::Generate(type);
  EXPECT_TRUE(kp.ok());
  return *std::move(kp);
}

class FrontendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/store" + std::to_string(counter++);
    Open();
    op_claims_ = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp_.public_key()));
    op_claims_.std.name = "test-op";
    op_claims_.nats.signing_keys = {sk_kp_.public_key().str()};
    op_jwt_ = *jwt::Encode(op_claims_, op_kp_, Seconds());
  }

  void Open() {
    frontend_.reset();
    store_.reset();
    auto store = store::RocksStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    frontend_ = std::make_unique<Frontend>(store_.get(), &vault_, [this] { return now_ns_; });
  }

  int64_t Seconds() const { return now_ns_ / 1000000000; }
  void Advance(int64_t seconds) { now_ns_ += seconds * 1000000000; }

  void PutOperator() {
    auto r = frontend_->PutOperator("admin", op_jwt_, false);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // An account JWT signed by the operator's signing key at the current time.
  std::string AccountJwt(jwt::AccountClaims& claims) {
    auto token = jwt::Encode(claims, sk_kp_, Seconds());
    EXPECT_TRUE(token.ok());
    return *token;
  }
  jwt::AccountClaims NewAccountClaims(const nkeys::KeyPair& kp, const std::string& name) {
    auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(kp.public_key()));
    claims.std.name = name;
    return claims;
  }

  std::string dir_;
  int64_t now_ns_ = 1700000000LL * 1000000000LL;
  accounts::KeyVault vault_ = *accounts::KeyVault::FromKey(std::string(32, 'm'));
  std::unique_ptr<store::RocksStore> store_;
  std::unique_ptr<Frontend> frontend_;
  nkeys::KeyPair op_kp_ = NewKey(nkeys::KeyType::kOperator);
  nkeys::KeyPair sk_kp_ = NewKey(nkeys::KeyType::kOperator);
  jwt::OperatorClaims op_claims_;
  std::string op_jwt_;
};

}  // namespace lattice::frontend::testing
