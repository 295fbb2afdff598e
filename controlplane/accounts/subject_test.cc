// Tests for subject validity, overlap and containment.
#include "controlplane/accounts/subject.h"

#include "gtest/gtest.h"

namespace lattice::accounts {
namespace {

TEST(Subject, Validity) {
  EXPECT_TRUE(IsValidSubject("a.b.c"));
  EXPECT_TRUE(IsValidSubject("a.*.>"));
  EXPECT_FALSE(IsValidSubject(""));
  EXPECT_FALSE(IsValidSubject("a..b"));
  EXPECT_FALSE(IsValidSubject("a.>.b"));
  EXPECT_FALSE(IsValidSubject("a b"));
  EXPECT_FALSE(IsValidSubject("a."));
}

TEST(Subject, Overlap) {
  EXPECT_TRUE(SubjectsOverlap("a.b", "a.b"));
  EXPECT_TRUE(SubjectsOverlap("a.*", "a.b"));
  EXPECT_TRUE(SubjectsOverlap("a.>", "a.b.c"));
  EXPECT_TRUE(SubjectsOverlap("*.b", "a.*"));
  EXPECT_FALSE(SubjectsOverlap("a.b", "a.c"));
  EXPECT_FALSE(SubjectsOverlap("a.*", "a.b.c"));
  EXPECT_FALSE(SubjectsOverlap("a.>", "a"));
}

TEST(Subject, Subset) {
  EXPECT_TRUE(SubjectIsSubsetOf("a.b", "a.*"));
  EXPECT_TRUE(SubjectIsSubsetOf("a.b.c", "a.>"));
  EXPECT_TRUE(SubjectIsSubsetOf("a.*", "a.*"));
  EXPECT_TRUE(SubjectIsSubsetOf("a.>", ">"));
  EXPECT_FALSE(SubjectIsSubsetOf("a.*", "a.b"));
  EXPECT_FALSE(SubjectIsSubsetOf("a.>", "a.*"));
  EXPECT_FALSE(SubjectIsSubsetOf("a", "a.>"));
  EXPECT_FALSE(SubjectIsSubsetOf("a.b.c", "a.*"));
}

}  // namespace
}  // namespace lattice::accounts
