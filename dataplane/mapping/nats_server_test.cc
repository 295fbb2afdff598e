// Differential test: the real nats-server 2.9.10 and this library map the same subjects alike.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
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
    if (&d != &dests[0]) {
      absl::StrAppend(&out, ", ");
    }
    absl::StrAppend(&out, "{dest: \"", d.subject, "\", weight: ", d.weight);
    if (!d.cluster.empty()) {
      absl::StrAppend(&out, ", cluster: \"", d.cluster, "\"");
    }
    absl::StrAppend(&out, "}");
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

  // Starts nats-server on a free port with `config` (which may use {CLUSTER_PORT}), connects and
  // subscribes to ">". Retries on a port race.
  void StartAndSubscribe(const std::string& config) {
    for (int attempt = 0; attempt < 3 && !server_.has_value(); ++attempt) {
      port_ = testutil::FreePortOrDie();
      std::string text = config;
      const std::string marker = "{CLUSTER_PORT}";
      if (size_t at = text.find(marker); at != std::string::npos) {
        text.replace(at, marker.size(), std::to_string(testutil::FreePortOrDie()));
      }
      // Per-test names: the log is appended to, and an old "ready" line would fool WaitForLog.
      const std::string name = absl::StrCat(
          ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", attempt);
      const std::string conf = WriteFile(name + ".conf", text);
      absl::StatusOr<ChildProcess> child = ChildProcess::Spawn(
          {kNatsServer, "-c", conf, "-a", "127.0.0.1", "-p", std::to_string(port_)},
          absl::StrCat(TempDir(), "/", name, ".log"));
      ASSERT_TRUE(child.ok()) << child.status();
      if (testutil::WaitForLog(*child, "Server is ready", std::chrono::seconds(10))) {
        server_.emplace(std::move(*child));
      }
    }
    ASSERT_TRUE(server_.has_value()) << "nats-server did not start";
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, absl::StrCat("nats://127.0.0.1:", port_).c_str()),
              NATS_OK);
    nc_.reset(nc);
    natsSubscription* sub = nullptr;
    ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc_.get(), ">"), NATS_OK);
    sub_.reset(sub);
    ASSERT_EQ(natsConnection_Flush(nc_.get()), NATS_OK);
  }

  // Publishes `inputs` (payload = index), then a sentinel; returns (index, arrival subject) for
  // everything that arrived. One connection and one subscriber keep publish order, so once the
  // sentinel is in, every earlier message that was going to arrive has arrived.
  std::vector<std::pair<size_t, std::string>> PublishAndCollect(
      const std::vector<std::string>& inputs) {
    std::vector<std::pair<size_t, std::string>> arrived;
    for (size_t i = 0; i < inputs.size(); ++i) {
      EXPECT_EQ(
          natsConnection_PublishString(nc_.get(), inputs[i].c_str(), std::to_string(i).c_str()),
          NATS_OK);
    }
    EXPECT_EQ(natsConnection_PublishString(nc_.get(), "sentinel.done", "end"), NATS_OK);
    EXPECT_EQ(natsConnection_Flush(nc_.get()), NATS_OK);
    while (true) {
      natsMsg* raw_msg = nullptr;
      natsStatus st = natsSubscription_NextMsg(&raw_msg, sub_.get(), 10000);
      EXPECT_EQ(st, NATS_OK) << "timed out waiting for the sentinel";
      if (st != NATS_OK) {
        return arrived;
      }
      std::unique_ptr<natsMsg, NatsDeleter> msg(raw_msg);
      std::string subject = natsMsg_GetSubject(msg.get());
      if (subject == "sentinel.done") {
        return arrived;
      }
      std::string data(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get()));
      arrived.emplace_back(std::stoul(data), subject);
    }
  }

  std::optional<ChildProcess> server_;
  int port_ = 0;
  std::unique_ptr<natsConnection, NatsDeleter> nc_;
  std::unique_ptr<natsSubscription, NatsDeleter> sub_;
};

// Publishes every case's input through a real nats-server configured with every case's mapping
// and checks the subject each message arrives on; then runs the same table through MappingTable.
TEST_F(NatsServerTest, PublishedSubjectsArriveMappedLikeTheLibraryMapsThem) {
  const std::vector<MappingCase> cases = ObservedCases();
  std::string config = "mappings {\n";
  std::vector<std::string> inputs;
  for (const MappingCase& c : cases) {
    absl::StrAppend(&config, ConfigEntry(c.source, c.dests));
    inputs.push_back(c.input);
  }
  absl::StrAppend(&config, "}\n");
  ASSERT_NO_FATAL_FAILURE(StartAndSubscribe(config));
  std::map<size_t, std::string> arrived;
  for (auto& [index, subject] : PublishAndCollect(inputs)) {
    EXPECT_TRUE(arrived.emplace(index, subject).second) << "delivered twice: " << index;
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

// A server in cluster "east" uses the east list (never cl-west); weighted lists reach exactly the
// subjects the library can pick (the split itself is random on the server, so only the set is
// compared).
TEST_F(NatsServerTest, ClusterListsAndWeightedSplitsReachTheSameSubjects) {
  const std::vector<std::pair<std::string, std::vector<MapDest>>> mappings = {
      {"cl.*", {To("cl-east.$1", 60, "east"), To("cl-west.$1", 40, "west")}},
      {"split.*", {To("split-a.$1", 30), To("split-b.$1", 70)}},
      {"rest.*", {To("rest-a.$1", 50)}},
      {"lossy.*", {To("lossy.$1", 50)}},
  };
  std::string config = "cluster { name: \"east\", listen: \"127.0.0.1:{CLUSTER_PORT}\" }\n";
  absl::StrAppend(&config, "mappings {\n");
  MappingTable table("east");
  for (const auto& [source, dests] : mappings) {
    absl::StrAppend(&config, ConfigEntry(source, dests));
    ASSERT_TRUE(table.Add(source, dests).ok()) << source;
  }
  absl::StrAppend(&config, "}\n");
  ASSERT_NO_FATAL_FAILURE(StartAndSubscribe(config));

  const std::vector<std::string> subjects = {"cl.x", "split.x", "rest.x", "lossy.x"};
  constexpr int kRepeats = 400;  // P(a 30% branch never chosen) = 0.7^400, about 1e-62
  std::vector<std::string> inputs;
  for (int r = 0; r < kRepeats; ++r) {
    inputs.insert(inputs.end(), subjects.begin(), subjects.end());
  }
  std::vector<std::set<std::string>> server_seen(subjects.size());
  std::vector<int> server_count(subjects.size());
  for (auto& [index, subject] : PublishAndCollect(inputs)) {
    server_seen[index % subjects.size()].insert(subject);
    ++server_count[index % subjects.size()];
  }
  for (size_t s = 0; s < subjects.size(); ++s) {
    std::set<std::string> ours;
    int delivered = 0;
    for (uint32_t roll = 0; roll < 100; ++roll) {
      std::string out;
      ASSERT_TRUE(table.Map(subjects[s], roll, &out));
      if (!out.empty()) {
        ours.insert(out);
        ++delivered;
      }
    }
    EXPECT_EQ(server_seen[s], ours) << subjects[s];
    if (delivered == 100) {
      EXPECT_EQ(server_count[s], kRepeats) << subjects[s];
    } else {
      EXPECT_LT(server_count[s], kRepeats) << subjects[s] << " should sometimes be dropped";
    }
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
