// SplitNodeArgs and ApplyManagedOptions: both readings of --cluster, flag forms, refusals.
#include "dataplane/agent/managed_node.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lattice::agent {
namespace {

absl::StatusOr<NodeArgs> Split(std::vector<std::string> args) {
  std::vector<const char*> argv;
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  return SplitNodeArgs(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> Rest(const NodeArgs& args) {
  std::vector<std::string> out;
  for (int i = 0; i < args.argc(); ++i)
    out.emplace_back(args.argv()[i]);
  EXPECT_EQ(args.argv()[args.argc()], nullptr);
  return out;
}

TEST(SplitNodeArgsTest, WithoutControlEverythingStaysForTheServer) {
  auto args = Split({"lattice-node", "-p", "4222", "--cluster", "nats://0.0.0.0:6222"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_FALSE(args->managed);
  EXPECT_EQ(Rest(*args), (std::vector<std::string>{"lattice-node", "-p", "4222", "--cluster",
                                                   "nats://0.0.0.0:6222"}));
}

TEST(SplitNodeArgsTest, ControlTakesAgentFlagsAndTheClusterName) {
  auto args = Split({"lattice-node", "-p", "4222", "--control", "127.0.0.1:1,127.0.0.1:2",
                     "--cluster", "east", "--operator=/op.jwt", "-state_dir", "/s", "--control_tls",
                     "--control-token-file", "/t", "-m", "8222"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->managed);
  EXPECT_EQ(args->agent.control, "127.0.0.1:1,127.0.0.1:2");
  EXPECT_EQ(args->agent.cluster, "east");
  EXPECT_EQ(args->agent.operator_file, "/op.jwt");
  EXPECT_EQ(args->agent.state_dir, "/s");
  EXPECT_EQ(args->agent.control_token_file, "/t");
  EXPECT_TRUE(args->agent.control_tls);
  EXPECT_EQ(Rest(*args), (std::vector<std::string>{"lattice-node", "-p", "4222", "-m", "8222"}));
}

TEST(SplitNodeArgsTest, ControlLeavesAClusterUrlToTheServer) {
  auto args = Split({"lattice-node", "--control=h:1", "--cluster=nats://127.0.0.1:6222"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->managed);
  EXPECT_EQ(args->agent.cluster, "");
  EXPECT_EQ(Rest(*args),
            (std::vector<std::string>{"lattice-node", "--cluster", "nats://127.0.0.1:6222"}));
}

TEST(SplitNodeArgsTest, MissingValueIsAnError) {
  auto args = Split({"lattice-node", "--control", "h:1", "--state_dir"});
  ASSERT_FALSE(args.ok());
  EXPECT_NE(args.status().message().find("--state_dir needs a value"), std::string::npos);
}

TEST(ApplyManagedOptionsTest, OperatorAndMemoryResolverByDefault) {
  AgentFlags flags;
  flags.operator_file = "/op.jwt";
  options::Options opts;
  ASSERT_TRUE(ApplyManagedOptions(flags, &opts).ok());
  EXPECT_EQ(opts.operators, std::vector<std::string>{"/op.jwt"});
  EXPECT_EQ(opts.resolver, "MEMORY");
  // Applying twice (SIGHUP re-parse) is harmless.
  EXPECT_TRUE(ApplyManagedOptions(flags, &opts).ok());
}

TEST(ApplyManagedOptionsTest, Refusals) {
  AgentFlags flags;
  options::Options opts;
  EXPECT_FALSE(ApplyManagedOptions(flags, &opts).ok());  // no --operator
  flags.operator_file = "/op.jwt";
  opts.operators = {"/other.jwt"};
  EXPECT_FALSE(ApplyManagedOptions(flags, &opts).ok());
  opts.operators = {};
  opts.resolver = "URL(http://127.0.0.1:9/)";
  absl::Status s = ApplyManagedOptions(flags, &opts);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("resolver must be MEMORY"), std::string::npos);
}

TEST(ManagedNodeTest, NeedsOperatorMode) {
  auto node = ManagedNode::Start(AgentConfig{}, nullptr, {});
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace lattice::agent
