// ServerTest fixture and the list of known lattice-node gaps (see server_test.h).
#include "e2e/core/server_test.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lattice::e2e {

std::vector<KnownGap> ParseKnownGaps(const std::string& text) {
  std::vector<KnownGap> gaps;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t space = line.find_first_of(" \t");
    KnownGap gap;
    gap.id = std::string(line.substr(0, space));
    gap.reason = space == absl::string_view::npos
                     ? "(no reason given)"
                     : std::string(absl::StripAsciiWhitespace(line.substr(space)));
    gaps.push_back(std::move(gap));
  }
  return gaps;
}

absl::StatusOr<std::vector<KnownGap>> KnownLatticeGaps() {
  std::string path;
  if (const char* file = getenv("LATTICE_GAPS_FILE"); file != nullptr && file[0] != '\0') {
    path = file;
  } else if (const char* srcdir = getenv("TEST_SRCDIR"); srcdir != nullptr) {
    path = absl::StrCat(srcdir, "/lattice/e2e/known_lattice_gaps.txt");
  } else {
    return absl::NotFoundError("neither LATTICE_GAPS_FILE nor TEST_SRCDIR is set");
  }
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseKnownGaps(text.str());
}

const std::string* FindKnownGap(const std::vector<KnownGap>& gaps, const std::string& suite,
                                const std::string& test) {
  // gtest names: suite "Servers/ProtocolTest", test "InfoFields/lattice_node".
  std::string full = suite.substr(suite.find('/') + 1) + "." + test.substr(0, test.find('/'));
  for (const KnownGap& gap : gaps) {
    if (gap.id == full || gap.id == "*") {
      return &gap.reason;
    }
  }
  return nullptr;
}

void ServerTest::SetUp() {
  if (!is_lattice()) {
    return;
  }
  static const absl::StatusOr<std::vector<KnownGap>> gaps = KnownLatticeGaps();
  ASSERT_OK(gaps);
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (const std::string* reason = FindKnownGap(*gaps, info->test_suite_name(), info->name())) {
    GTEST_SKIP() << "known lattice-node gap: " << *reason;
  }
}

void ServerTest::TearDown() {
  const bool failed = HasFailure();
  for (auto& server : servers_) {
    (void)server->Stop();
    if (failed) {
      std::fprintf(stderr, "--- %s log (%s) ---\n%s--- end of log ---\n",
                   ServerKindName(server->kind()), server->log_path().c_str(),
                   server->ReadLog().c_str());
    }
  }
  servers_.clear();
}

ServerProcess* ServerTest::StartServer(ServerConfig config) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(GetParam(), std::move(config));
  if (!server.ok()) {
    ADD_FAILURE() << "cannot start " << ServerKindName(GetParam()) << ": " << server.status();
    return nullptr;
  }
  servers_.push_back(*std::move(server));
  return servers_.back().get();
}

}  // namespace lattice::e2e
