// Benchmarks for Frontend writes over a real RocksStore: the cost of an account upload as the
// number of accounts grows (the graph check decodes every live account), and of an ACK.
#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"

#include "common/jwt/claims.h"
#include "common/nkeys/nkeys.h"
#include "controlplane/frontend/frontend.h"
#include "controlplane/store/rocks_store.h"

namespace lattice::frontend {
namespace {

struct Env {
  explicit Env(const std::string& name) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string dir = std::string(tmp ? tmp : "/tmp") + "/frontend_bench_" + name + "_" +
                      std::to_string(std::rand());
    store = *store::RocksStore::Open(dir);
    frontend = std::make_unique<Frontend>(store.get(), &vault);
    auto op = jwt::NewOperatorClaims(*nkeys::OperatorPublicKey::FromKey(op_kp.public_key()));
    (void)frontend->PutOperator("bench", *jwt::Encode(op, op_kp), false);
  }
  std::string NewAccountJwt() {
    auto kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kAccount);
    auto claims = jwt::NewAccountClaims(*nkeys::AccountPublicKey::FromKey(kp.public_key()));
    claims.std.name = "acc";
    return *jwt::Encode(claims, op_kp);
  }
  accounts::KeyVault vault = *accounts::KeyVault::FromKey(std::string(32, 'b'));
  std::unique_ptr<store::RocksStore> store;
  std::unique_ptr<Frontend> frontend;
  nkeys::KeyPair op_kp = *nkeys::KeyPair::Generate(nkeys::KeyType::kOperator);
};

void BM_PutAccount(benchmark::State& state) {
  Env env("put");
  for (int i = 0; i < state.range(0); ++i) {
    v1::PutAccountRequest req;
    req.set_jwt(env.NewAccountJwt());
    (void)env.frontend->PutAccount("bench", req);
  }
  for (auto _ : state) {
    state.PauseTiming();
    v1::PutAccountRequest req;
    req.set_jwt(env.NewAccountJwt());
    state.ResumeTiming();
    auto result = env.frontend->PutAccount("bench", req);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_PutAccount)->Arg(0)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_RecordAck(benchmark::State& state) {
  Env env("ack");
  v1::Register reg;
  reg.set_node_id("n1");
  reg.set_cluster("east");
  (void)env.frontend->RegisterNode(reg);
  int64_t version = 0;
  for (auto _ : state) {
    v1::Ack ack;
    ack.set_resource_type("accounts");
    ack.set_version("a-" + std::to_string(++version));
    benchmark::DoNotOptimize(env.frontend->RecordAck("n1", ack));
  }
}
BENCHMARK(BM_RecordAck)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lattice::frontend
