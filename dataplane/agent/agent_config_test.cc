// Agent flags -> AgentConfig: required flags, address lists, credential files.
#include "dataplane/agent/agent_config.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "dataplane/agent/test_chain.h"

namespace lattice::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string path = std::string(base != nullptr ? base : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

class AgentConfigTest : public ::testing::Test {
 protected:
  AgentFlags Minimal() {
    AgentFlags flags;
    EXPECT_TRUE(SetAgentFlag("--control", "cp1:7600, cp2:7600", &flags));
    EXPECT_TRUE(SetAgentFlag("-cluster", "east", &flags));
    EXPECT_TRUE(SetAgentFlag("--operator", WriteTemp("op.jwt", op_.Jwt() + "\n"), &flags));
    EXPECT_TRUE(SetAgentFlag("--control-token", "secret", &flags));
    EXPECT_TRUE(SetAgentFlag("--state_dir", "/var/lib/lattice", &flags));
    return flags;
  }
  testing::TestOperator op_;
};

TEST_F(AgentConfigTest, NoControlFlagMeansNoAgent) {
  auto config = AgentConfigFromFlags(AgentFlags());
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->has_value());
  AgentFlags stray;
  SetAgentFlag("cluster", "east", &stray);
  EXPECT_FALSE(AgentConfigFromFlags(stray).ok());
}

TEST_F(AgentConfigTest, MinimalFlagsProduceAConfig) {
  auto config = AgentConfigFromFlags(Minimal());
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->has_value());
  const AgentConfig& c = **config;
  EXPECT_THAT(c.control_addresses, ElementsAre("cp1:7600", "cp2:7600"));
  EXPECT_EQ(c.cluster, "east");
  EXPECT_EQ(c.operator_jwt, op_.Jwt());
  EXPECT_EQ(c.credentials.bearer_token, "secret");
  EXPECT_FALSE(c.credentials.tls);
  EXPECT_EQ(c.state_dir, "/var/lib/lattice");
}

TEST_F(AgentConfigTest, UnknownFlagsAreLeftToTheCaller) {
  AgentFlags flags;
  EXPECT_FALSE(SetAgentFlag("--port", "4222", &flags));
  EXPECT_FALSE(SetAgentFlag("--controls", "x", &flags));
  EXPECT_TRUE(SetAgentFlag("--control_tls", "", &flags));
  EXPECT_TRUE(flags.control_tls);
  EXPECT_THAT(AgentFlagsUsage(), HasSubstr("--control_token_file"));
}

TEST_F(AgentConfigTest, InconsistentFlagsAreRejected) {
  auto expect_error = [](AgentFlags flags, const std::string& text) {
    auto config = AgentConfigFromFlags(flags);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(text));
  };
  AgentFlags flags = Minimal();
  flags.cluster.clear();
  expect_error(flags, "--cluster");
  flags = Minimal();
  flags.operator_file.clear();
  expect_error(flags, "--operator");
  flags = Minimal();
  flags.operator_file = "/no/such/op.jwt";
  expect_error(flags, "cannot read");
  flags = Minimal();
  flags.control_token.clear();
  expect_error(flags, "requires credentials");
  flags = Minimal();
  flags.control_tls_cert = WriteTemp("cert.pem", "CERT");
  expect_error(flags, "go together");
  flags = Minimal();
  flags.state_dir.clear();
  expect_error(flags, "--node_id or --state_dir");
  for (const char* bad : {"", "host", "host:", ":7600", "h:0", "h:70000", "h:x", "a:1,,b:2"}) {
    flags = Minimal();
    flags.control = bad;
    auto config = AgentConfigFromFlags(flags);
    EXPECT_FALSE(config.ok() && config->has_value()) << bad;
  }
}

TEST_F(AgentConfigTest, TokenFileAndTlsFilesAreRead) {
  AgentFlags flags = Minimal();
  flags.control_token.clear();
  flags.control_token_file = WriteTemp("token", "  file-token\n");
  flags.control_tls_ca = WriteTemp("ca.pem", "CA PEM");
  flags.control_tls_cert = WriteTemp("cert.pem", "CERT PEM");
  flags.control_tls_key = WriteTemp("key.pem", "KEY PEM");
  flags.control_tls_server_name = "control.example";
  auto config = AgentConfigFromFlags(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  const ControlCredentials& creds = (*config)->credentials;
  EXPECT_EQ(creds.bearer_token, "file-token");
  EXPECT_TRUE(creds.tls);
  EXPECT_EQ(creds.root_certs_pem, "CA PEM");
  EXPECT_EQ(creds.client_cert_chain_pem, "CERT PEM");
  EXPECT_EQ(creds.client_key_pem, "KEY PEM");
  EXPECT_EQ(creds.tls_server_name, "control.example");

  flags.control_token = "also";
  EXPECT_FALSE(AgentConfigFromFlags(flags).ok());  // token and token file
}

}  // namespace
}  // namespace lattice::agent
