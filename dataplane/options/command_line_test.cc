// Tests for ParseCommandLine (flag forms, precedence over the config file, refusals) and UsageText.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include <gtest/gtest.h>

#include "dataplane/options/options.h"
#include "dataplane/options/options_test_util.h"

namespace lattice::options {
namespace {

absl::StatusOr<CommandLine> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "lattice-node");
  std::vector<const char*> argv;
  for (const std::string& arg : args)
    argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

Options MustParse(std::vector<std::string> args) {
  absl::StatusOr<CommandLine> cl = Parse(args);
  EXPECT_TRUE(cl.ok()) << cl.status();
  return cl.ok() ? cl->options : Options();
}

std::string ParseError(std::vector<std::string> args) {
  absl::StatusOr<CommandLine> cl = Parse(args);
  EXPECT_FALSE(cl.ok());
  return cl.ok() ? "" : std::string(cl.status().message());
}

TEST(CommandLineTest, NoArgumentsGiveDefaults) {
  absl::StatusOr<CommandLine> cl = Parse({});
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->options.port, 4222);
  EXPECT_FALSE(cl->show_help);
  EXPECT_FALSE(cl->show_version);
  EXPECT_TRUE(cl->signal.empty());
}

TEST(CommandLineTest, AllValueForms) {
  EXPECT_EQ(MustParse({"-p", "4333"}).port, 4333);
  EXPECT_EQ(MustParse({"--port", "4334"}).port, 4334);
  EXPECT_EQ(MustParse({"--port=4335"}).port, 4335);
  EXPECT_EQ(MustParse({"-p=4336"}).port, 4336);
  EXPECT_EQ(MustParse({"-port", "4337"}).port, 4337);
  EXPECT_EQ(MustParse({"-p", "-1"}).port, -1);
}

TEST(CommandLineTest, ServerFlags) {
  const Options o =
      MustParse({"-a", "127.0.0.1", "-n", "node-a", "-m", "8222", "--http_host", "127.0.0.2", "-P",
                 "/tmp/x.pid", "-l", "/tmp/x.log", "--client_advertise", "ex:4222"});
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.server_name, "node-a");
  EXPECT_EQ(o.http_port, 8222);
  EXPECT_EQ(o.http_host, "127.0.0.2");
  EXPECT_EQ(o.pid_file, "/tmp/x.pid");
  EXPECT_EQ(o.log_file, "/tmp/x.log");
  EXPECT_EQ(o.client_advertise, std::vector<std::string>{"ex:4222"});
  EXPECT_EQ(MustParse({"--addr", "h1"}).host, "h1");
  EXPECT_EQ(MustParse({"--net", "h2"}).host, "h2");
  EXPECT_EQ(MustParse({"--name", "n2"}).server_name, "n2");
  EXPECT_EQ(MustParse({"--server_name", "n3"}).server_name, "n3");
  EXPECT_EQ(MustParse({"--http_port", "9"}).http_port, 9);
  EXPECT_EQ(MustParse({"--pid", "p"}).pid_file, "p");
  EXPECT_EQ(MustParse({"--log", "l"}).log_file, "l");
}

TEST(CommandLineTest, LoggingFlags) {
  Options o = MustParse({"-D"});
  EXPECT_TRUE(o.debug);
  EXPECT_FALSE(o.trace);
  o = MustParse({"-V"});
  EXPECT_TRUE(o.trace);
  o = MustParse({"-DV"});
  EXPECT_TRUE(o.debug && o.trace);
  o = MustParse({"--debug", "--trace"});
  EXPECT_TRUE(o.debug && o.trace);
  EXPECT_TRUE(MustParse({"-T"}).logtime);
  EXPECT_FALSE(MustParse({"-T=false"}).logtime);
  EXPECT_FALSE(MustParse({"--logtime=0"}).logtime);
  EXPECT_TRUE(absl::StrContains(ParseError({"-D=maybe"}), "invalid boolean value"));
}

TEST(CommandLineTest, AuthFlags) {
  Options o = MustParse({"--user", "u", "--pass", "p"});
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.password, "p");
  EXPECT_EQ(MustParse({"--auth", "tok"}).auth_token, "tok");
  EXPECT_TRUE(absl::StrContains(ParseError({"--user", "u", "--auth", "t"}),
                                "cannot have a user/pass and a token"));
}

TEST(CommandLineTest, ClusterFlags) {
  const Options o = MustParse({"--cluster", "nats://127.0.0.1:6222", "--cluster_name", "east",
                               "--routes", "nats://a:6223, nats://b:6224", "--no_advertise"});
  EXPECT_EQ(o.cluster.host, "127.0.0.1");
  EXPECT_EQ(o.cluster.port, 6222);
  EXPECT_EQ(o.cluster.name, "east");
  EXPECT_EQ(o.cluster.routes, (std::vector<std::string>{"nats://a:6223", "nats://b:6224"}));
  EXPECT_TRUE(o.cluster.no_advertise);
  EXPECT_EQ(MustParse({"--cluster_listen", "nats://0.0.0.0:-1"}).cluster.port, -1);
  EXPECT_TRUE(absl::StrContains(ParseError({"--cluster", "nats://u:p@h:1"}), "credentials"));
  EXPECT_TRUE(absl::StrContains(ParseError({"--cluster", "h:1"}), "invalid URL"));
  EXPECT_TRUE(absl::StrContains(ParseError({"--routes", "nohost"}), "invalid URL"));
}

TEST(CommandLineTest, TlsFlags) {
  Options o = MustParse({"--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"});
  ASSERT_TRUE(o.tls.has_value());
  EXPECT_EQ(o.tls->cert_file, "c.pem");
  EXPECT_EQ(o.tls->key_file, "k.pem");
  EXPECT_FALSE(o.tls->verify);
  o = MustParse({"--tlsverify", "--tlscert", "c", "--tlskey", "k", "--tlscacert", "ca"});
  EXPECT_TRUE(o.tls->verify);
  EXPECT_EQ(o.tls->ca_file, "ca");
  EXPECT_TRUE(absl::StrContains(ParseError({"--tlscert", "c", "--tlskey", "k"}),
                                "need --tls or --tlsverify"));
  EXPECT_TRUE(
      absl::StrContains(ParseError({"--tls", "--tlscert", "c"}), "both a certificate and a key"));
  // As in nats-server, verification without a CA file uses the system's roots.
  EXPECT_TRUE(MustParse({"--tlsverify", "--tlscert", "c", "--tlskey", "k"}).tls->verify);
}

TEST(CommandLineTest, HelpVersionCheckAndSignal) {
  for (const char* flag : {"-h", "--help", "help"}) {
    absl::StatusOr<CommandLine> cl = Parse({flag});
    ASSERT_TRUE(cl.ok()) << flag;
    EXPECT_TRUE(cl->show_help) << flag;
  }
  for (const char* flag : {"-v", "--version", "version"}) {
    absl::StatusOr<CommandLine> cl = Parse({flag});
    ASSERT_TRUE(cl.ok()) << flag;
    EXPECT_TRUE(cl->show_version) << flag;
  }
  // Help wins even when the config file would not load.
  EXPECT_TRUE(Parse({"-c", "/nonexistent.conf", "-h"}).ok());
  absl::StatusOr<CommandLine> cl = Parse({"-t"});
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->check_config);
  cl = Parse({"--signal", "ldm=123"});
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->signal, "ldm=123");
  cl = Parse({"-sl", "reload"});
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->signal, "reload");
  EXPECT_TRUE(absl::StrContains(ParseError({"--signal", "explode"}), "unknown signal"));
}

TEST(CommandLineTest, Errors) {
  EXPECT_EQ(ParseError({"--bogus"}), "flag provided but not defined: -bogus (see --help)");
  EXPECT_EQ(ParseError({"-p"}), "flag needs an argument: -p");
  EXPECT_TRUE(absl::StrContains(ParseError({"-p", "abc"}), "invalid value \"abc\" for flag -p"));
  EXPECT_TRUE(absl::StrContains(ParseError({"-p", "70000"}), "out of range"));
  EXPECT_TRUE(absl::StrContains(ParseError({"---p", "1"}), "bad flag syntax"));
  EXPECT_TRUE(absl::StrContains(ParseError({"extra"}), "unrecognized command: \"extra\""));
  EXPECT_TRUE(absl::StrContains(ParseError({"-p", "1", "stray", "-D"}), "unrecognized command"));
}

TEST(CommandLineTest, UnsupportedFlagsAreRefusedByFeature) {
  const std::pair<const char*, const char*> cases[] = {
      {"-js", "JetStream"},       {"--jetstream", "JetStream"},
      {"-sd", "JetStream"},       {"--store_dir=/x", "JetStream"},
      {"-ms", "HTTPS"},           {"--syslog", "syslog"},
      {"-VV", "verbose tracing"}, {"--profile", "profiling"},
  };
  for (const auto& [flag, feature] : cases) {
    const std::string error = ParseError({flag});
    EXPECT_TRUE(absl::StrContains(error, feature)) << flag << " => " << error;
    EXPECT_TRUE(absl::StrContains(error, "does not support")) << error;
  }
}

TEST(CommandLineTest, FlagsOverrideTheConfigFileInAnyOrder) {
  testing::TempConfigDir dir;
  const std::string path =
      dir.Write("n.conf",
                "port: 1000\nserver_name: from_file\ndebug: false\nhttp_port: 8000\n"
                "cluster { name: file_cluster, port: 6000 }\n");
  // Flags before and after -c both win over the file.
  absl::StatusOr<CommandLine> cl =
      Parse({"-p", "2000", "-c", path, "-n", "from_flag", "-D", "--cluster_name", "flag_cluster"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->options.port, 2000);
  EXPECT_EQ(cl->options.server_name, "from_flag");
  EXPECT_TRUE(cl->options.debug);
  EXPECT_EQ(cl->options.http_port, 8000);     // from the file
  EXPECT_EQ(cl->options.cluster.port, 6000);  // from the file
  EXPECT_EQ(cl->options.cluster.name, "flag_cluster");
  EXPECT_EQ(cl->options.config_file, path);
  EXPECT_EQ(MustParse({"--config=" + path}).port, 1000);
}

TEST(CommandLineTest, ConfigErrorsSurface) {
  testing::TempConfigDir dir;
  const std::string path = dir.Write("bad.conf", "port: 1\njetstream: {}\n");
  const std::string error = ParseError({"-c", path});
  EXPECT_TRUE(absl::StrContains(error, "bad.conf:2:")) << error;
  EXPECT_TRUE(absl::StrContains(error, "JetStream")) << error;
  EXPECT_TRUE(absl::StrContains(ParseError({"-c", dir.dir() + "/missing.conf"}), "missing.conf"));
}

TEST(CommandLineTest, UsageMentionsEveryFlag) {
  const std::string usage = UsageText();
  for (const char* flag : {"--addr",
                           "--port",
                           "--name",
                           "--config",
                           "--pid",
                           "--http_port",
                           "--log",
                           "--logtime",
                           "--debug",
                           "--trace",
                           "-DV",
                           "--user",
                           "--pass",
                           "--auth",
                           "--tls",
                           "--tlscert",
                           "--tlskey",
                           "--tlscacert",
                           "--tlsverify",
                           "--cluster",
                           "--cluster_name",
                           "--routes",
                           "--no_advertise",
                           "--signal",
                           "--help",
                           "--version"}) {
    EXPECT_TRUE(absl::StrContains(usage, flag)) << flag;
  }
}

}  // namespace
}  // namespace lattice::options
