// Differential test: the real nats-server 2.9.10 and this library map the same subjects alike.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include <nats/nats.h>

#include "common/testing/child_process.h"
#include "common/testing/ports.h"
#include "dataplane/mapping/mapping_cases.h"
#include "dataplane/mapping/mapping_table.h"

namespace lattice::mapping {
namespace {

using testdata::MappingCase;
using testdata::ObservedCases;
using testdata::To;
using testutil::ChildProcess;

constexpr char kNatsServer[] = "/usr/sbin/nats-server";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = absl::StrCat(TempDir(), "/", name);
  std::ofstream(path) << text;
  return path;
}

// One `mappings {}` entry in nats-server's config syntax.
std::string ConfigEntry(const std::string& source, const std::vector<MapDest>& dests) {
  if (dests.size() == 1 && dests[0].weight == 100 && dests[0].cluster.empty()) {
    return absl::StrCat("  \"", source, "\": \"", dests[0].subject, "\"\n");
  }
  std::string out = absl::StrCat("  \"", source, "\": [");
  for (const MapDest& d : dests) {
    absl::StrAppend(&out, "{dest: \"", d.subject, "\", weight: ", d.weight);
    if (!d.cluster.empty()) {
      absl::StrAppend(&out, ", cluster: \"", d.cluster, "\"");
    }
    absl::StrAppend(&out, "} ");
  }
  return absl::StrCat(out, "]\n");
}

struct NatsDeleter {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};

class NatsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kNatsServer, X_OK) != 0) {
      GTEST_SKIP() << kNatsServer << " not installed";
    }
  }
};

// Publishes every case's input through a real nats-server configured with every case's mapping
// and checks the subject each message arrives on; then runs the same table through MappingTable.
TEST_F(NatsServerTest, PublishedSubjectsArriveMappedLikeTheLibraryMapsThem) {
  const std::vector<MappingCase> cases = ObservedCases();
  std::string config = "mappings {\n";
  for (const MappingCase& c : cases) {
    absl::StrAppend(&config, ConfigEntry(c.source, c.dests));
  }
  absl::StrAppend(&config, "}\n");
  const std::string conf_path = WriteFile("mappings.conf", config);

  std::optional<ChildProcess> server;
  int port = 0;
  for (int attempt = 0; attempt < 3 && !server.has_value(); ++attempt) {
    port = testutil::FreePortOrDie();
    absl::StatusOr<ChildProcess> child = ChildProcess::Spawn(
        {kNatsServer, "-c", conf_path, "-a", "127.0.0.1", "-p", std::to_string(port)},
        absl::StrCat(TempDir(), "/nats-server-", attempt, ".log"));
    ASSERT_TRUE(child.ok()) << child.status();
    if (testutil::WaitForLog(*child, "Server is ready", std::chrono::seconds(10))) {
      server.emplace(std::move(*child));
    }
  }
  ASSERT_TRUE(server.has_value()) << "nats-server did not start";

  natsConnection* raw_nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&raw_nc, absl::StrCat("nats://127.0.0.1:", port).c_str()),
            NATS_OK);
  std::unique_ptr<natsConnection, NatsDeleter> nc(raw_nc);
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, nc.get(), ">"), NATS_OK);
  std::unique_ptr<natsSubscription, NatsDeleter> sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);

  // Payload = case index. One connection, one subscriber: delivery is in publish order, so once
  // the sentinel arrives every earlier message that was going to arrive has arrived.
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(
        natsConnection_PublishString(nc.get(), cases[i].input.c_str(), std::to_string(i).c_str()),
        NATS_OK);
  }
  ASSERT_EQ(natsConnection_PublishString(nc.get(), "sentinel.done", "end"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);

  std::map<size_t, std::string> arrived;
  while (true) {
    natsMsg* raw_msg = nullptr;
    ASSERT_EQ(natsSubscription_NextMsg(&raw_msg, sub.get(), 10000), NATS_OK)
        << "timed out waiting for the sentinel";
    std::unique_ptr<natsMsg, NatsDeleter> msg(raw_msg);
    std::string subject = natsMsg_GetSubject(msg.get());
    std::string data(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get()));
    if (subject == "sentinel.done") {
      break;
    }
    arrived[std::stoul(data)] = subject;
  }

  MappingTable table;
  for (const MappingCase& c : cases) {
    ASSERT_TRUE(table.Add(c.source, c.dests).ok()) << c.source;
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    const MappingCase& c = cases[i];
    std::optional<std::string> server_subject;
    if (auto it = arrived.find(i); it != arrived.end()) {
      server_subject = it->second;
    }
    EXPECT_EQ(server_subject, c.expected) << "nats-server, case " << c.source << " <- " << c.input;

    std::string out;
    std::optional<std::string> ours = c.input;
    if (table.Map(c.input, 0, &out)) {
      ours = out.empty() ? std::nullopt : std::optional<std::string>(out);
    }
    EXPECT_EQ(ours, c.expected) << "library, case " << c.source << " <- " << c.input;
  }
}

struct ConfigErrorCase {
  std::string source;
  std::string destination;
};

// nats-server -t refuses each bad mapping with the same reason our Create returns.
TEST_F(NatsServerTest, ConfigErrorsCarryNatsServersReasons) {
  const std::vector<ConfigErrorCase> bad = {
      {"a.*", "b.{{wildcard(2)}}"},
      {"a.*", "b.{{foo(1)}}"},
      {"a.*", "f"},
      {"g.>", "h"},
      {"a.*", "b.*"},
      {"a.*", "b.{{wildcard(1,2)}}"},
      {"a.*", "b.{{wildcard()}}"},
      {"a.*", "b.{{wildcard(x)}}"},
      {"a.*", "b.{{partition(3)}}"},
      {"a.*", "b.{{partition(x,1)}}"},
      {"a.*", "b.{{partition(3,y)}}"},
      {"a.*", "b.{{partition(3,2)}}"},
      {"a.*", "b.{{split(1)}}"},
      {"a.*", "b.{{split(1,-,x)}}"},
      {"a.*", "b.{{split(1,a b)}}"},
      {"a.*", "b.{{splitFromLeft(1)}}"},
      {"a.*", "b.{{splitFromRight(1,2,3)}}"},
      {"a.*", "b.{{sliceFromLeft(1,z)}}"},
      {"a.*", "b.{{sliceFromRight(9,2)}}"},
      {"a.*", "b.{{split(1,a.b)}}"},
      {"a", "b c"},
      {"a", "{{nope()}}"},
      {"a", ""},
      {"a", "b..c"},
      {"a.>", "b.>.c"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const ConfigErrorCase& c = bad[i];
    absl::StatusOr<SubjectTransform> ours = SubjectTransform::Create(c.source, c.destination);
    ASSERT_FALSE(ours.ok()) << c.source << " -> " << c.destination;
    const std::string conf =
        WriteFile(absl::StrCat("bad", i, ".conf"),
                  absl::StrCat("mappings {\n", ConfigEntry(c.source, {To(c.destination)}), "}\n"));
    absl::StatusOr<ChildProcess> check = ChildProcess::Spawn(
        {kNatsServer, "-t", "-c", conf}, absl::StrCat(TempDir(), "/bad", i, ".log"));
    ASSERT_TRUE(check.ok()) << check.status();
    absl::StatusOr<int> status = check->WaitExit(std::chrono::seconds(10));
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_NE(testutil::ExitCode(*status), 0) << check->Log();
    const std::string want = absl::StrCat("Error adding mapping for \"", c.source, "\" to \"",
                                          c.destination, "\" : ", ours.status().message());
    EXPECT_NE(check->Log().find(want), std::string::npos)
        << "want: " << want << "\nnats-server said: " << check->Log();
  }
}

}  // namespace
}  // namespace lattice::mapping
