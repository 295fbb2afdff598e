#include <gtest/gtest.h>

#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace lattice {
namespace {

absl::StatusOr<int> ParsePositive(int value) {
  if (value <= 0)
    return absl::InvalidArgumentError("not positive");
  return value;
}

absl::Status Doubled(int value, int* out) {
  LATTICE_ASSIGN_OR_RETURN(const int parsed, ParsePositive(value));
  *out = parsed * 2;
  return absl::OkStatus();
}

absl::Status FailsEarly() {
  LATTICE_RETURN_IF_ERROR(absl::NotFoundError("missing"));
  return absl::InternalError("not reached");
}

TEST(StatusMacrosTest, AssignOrReturnBindsValue) {
  int out = 0;
  ASSERT_TRUE(Doubled(21, &out).ok());
  EXPECT_EQ(out, 42);
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesError) {
  int out = 7;
  const absl::Status status = Doubled(-1, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, 7);
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtFirstError) {
  EXPECT_EQ(FailsEarly().code(), absl::StatusCode::kNotFound);
}

TEST(LogTest, LevelFiltersLines) {
  log::SetLevel(log::Level::kWarn);
  EXPECT_EQ(log::GetLevel(), log::Level::kWarn);
  int evaluated = 0;
  LATTICE_LOG(kInfo) << (++evaluated);  // filtered: the expression must not run
  EXPECT_EQ(evaluated, 0);
  LATTICE_LOG(kError) << "shown " << (++evaluated);
  EXPECT_EQ(evaluated, 1);
  log::SetLevel(log::Level::kInfo);
}

}  // namespace
}  // namespace lattice
