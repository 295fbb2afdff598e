// Tests for ChildProcess: logs, environment, exit statuses, signals, moves and WaitForLog.
#include "common/testing/child_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace lattice::testutil {
namespace {

std::string LogPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, ".log");
}

absl::StatusOr<ChildProcess> Shell(const std::string& script, const std::string& log,
                                   const ChildProcess::Env& env = {}) {
  return ChildProcess::Spawn({"/bin/sh", "-c", script}, LogPath(log), env);
}

TEST(ChildProcessTest, CapturesStdoutAndStderrAndExitStatus) {
  absl::StatusOr<ChildProcess> child = Shell("echo out; echo err >&2; exit 3", "exit3");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_GT(child->pid(), 0);
  absl::StatusOr<int> status = child->WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(ExitCode(*status), 3);
  EXPECT_EQ(DescribeWaitStatus(*status), "exited 3");
  EXPECT_FALSE(child->Running());
  EXPECT_EQ(child->Log(), "out\nerr\n");
  // Idempotent: the recorded status, no second wait.
  EXPECT_EQ(child->Kill(SIGKILL), *status);
  EXPECT_FALSE(child->Signal(SIGTERM).ok());
}

TEST(ChildProcessTest, PassesExtraEnvironmentAndOverrides) {
  setenv("LATTICE_CHILD_TEST_KEEP", "kept", 1);
  setenv("LATTICE_CHILD_TEST_OVERRIDE", "old", 1);
  absl::StatusOr<ChildProcess> child =
      Shell("echo $LATTICE_CHILD_TEST_KEEP $LATTICE_CHILD_TEST_OVERRIDE $LATTICE_CHILD_TEST_NEW",
            "env", {{"LATTICE_CHILD_TEST_OVERRIDE", "new"}, {"LATTICE_CHILD_TEST_NEW", "added"}});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(child->WaitExit(std::chrono::seconds(30)).ok());
  EXPECT_EQ(child->Log(), "kept new added\n");
}

TEST(ChildProcessTest, StdinIsEmpty) {
  absl::StatusOr<ChildProcess> child = Shell("cat; echo done", "stdin");
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(child->WaitExit(std::chrono::seconds(30)).ok());
  EXPECT_EQ(child->Log(), "done\n");
}

TEST(ChildProcessTest, MissingBinaryExits127) {
  absl::StatusOr<ChildProcess> child =
      ChildProcess::Spawn({"/nonexistent/binary"}, LogPath("missing"));
  ASSERT_TRUE(child.ok());
  absl::StatusOr<int> status = child->WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(ExitCode(*status), 127);
}

TEST(ChildProcessTest, RejectsEmptyArgvAndUnwritableLog) {
  EXPECT_EQ(ChildProcess::Spawn({}, LogPath("empty")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ChildProcess::Spawn({"/bin/true"}, "/nonexistent/dir/x.log").ok());
}

TEST(ChildProcessTest, KillAndTerminateReportTheSignal) {
  absl::StatusOr<ChildProcess> child = Shell("exec sleep 600", "kill");
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(child->Running());
  EXPECT_FALSE(child->WaitExit(std::chrono::milliseconds(0)).ok());
  const int status = child->Kill(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(ExitCode(status), 128 + SIGKILL);
  EXPECT_EQ(child->wait_status(), status);

  absl::StatusOr<ChildProcess> term = Shell("exec sleep 600", "term");
  ASSERT_TRUE(term.ok());
  const int term_status = term->Terminate(std::chrono::seconds(30));
  EXPECT_TRUE(WIFSIGNALED(term_status));
  EXPECT_EQ(WTERMSIG(term_status), SIGTERM);
}

TEST(ChildProcessTest, TerminateFallsBackToSigkill) {
  // The shell ignores TERM, prints that it is ready, then waits forever.
  absl::StatusOr<ChildProcess> child =
      Shell("trap '' TERM; echo ready; while :; do sleep 1; done", "stubborn");
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(WaitForLog(*child, "ready", std::chrono::seconds(30))) << child->Log();
  const int status = child->Terminate(std::chrono::milliseconds(0));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ChildProcessTest, MoveTransfersOwnership) {
  absl::StatusOr<ChildProcess> child = Shell("exec sleep 600", "move");
  ASSERT_TRUE(child.ok());
  const pid_t pid = child->pid();
  ChildProcess moved = *std::move(child);
  EXPECT_EQ(moved.pid(), pid);
  EXPECT_TRUE(moved.Running());
  ChildProcess target = std::move(moved);
  EXPECT_EQ(target.pid(), pid);
  EXPECT_TRUE(target.Running());
  EXPECT_TRUE(target.Signal(SIGKILL).ok());
  absl::StatusOr<int> status = target.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);
}

TEST(ChildProcessTest, WaitForLogIsFalseWhenTheChildExits) {
  absl::StatusOr<ChildProcess> child = Shell("echo something else", "nolog");
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(WaitForLog(*child, "ready", std::chrono::seconds(30)));
}

}  // namespace
}  // namespace lattice::testutil
