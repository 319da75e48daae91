#include "common/core/status_macros.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace obp {
namespace {

absl::Status Fails() { return absl::NotFoundError("gone"); }
absl::Status Succeeds() { return absl::OkStatus(); }
absl::StatusOr<int> Number(bool ok) {
  if (!ok) return absl::InvalidArgumentError("no number");
  return 7;
}
absl::StatusOr<std::unique_ptr<int>> Owned(bool ok) {
  if (!ok) return absl::InternalError("no box");
  return std::make_unique<int>(9);
}

absl::Status ReturnIfError(bool fail, int* reached) {
  OBP_RETURN_IF_ERROR(Succeeds());
  ++*reached;
  OBP_RETURN_IF_ERROR(fail ? Fails() : Succeeds());
  ++*reached;
  return absl::OkStatus();
}

TEST(StatusMacros, ReturnIfErrorPassesOkAndReturnsTheError) {
  int reached = 0;
  EXPECT_TRUE(ReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 2);
  reached = 0;
  absl::Status s = ReturnIfError(true, &reached);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "gone");
  EXPECT_EQ(reached, 1);
}

absl::Status ReturnIfErrorOnStatusOr(bool ok) {
  OBP_RETURN_IF_ERROR(Number(ok));
  return absl::OkStatus();
}

TEST(StatusMacros, ReturnIfErrorAcceptsStatusOr) {
  EXPECT_TRUE(ReturnIfErrorOnStatusOr(true).ok());
  EXPECT_EQ(ReturnIfErrorOnStatusOr(false).code(), absl::StatusCode::kInvalidArgument);
}

absl::StatusOr<std::string> InStatusOrFunction(bool fail_first, bool fail_second) {
  OBP_RETURN_IF_ERROR(fail_first ? Fails() : Succeeds());
  OBP_ASSIGN_OR_RETURN(int n, Number(!fail_second));
  return std::to_string(n);
}

TEST(StatusMacros, WorkInsideFunctionsReturningStatusOr) {
  EXPECT_EQ(*InStatusOrFunction(false, false), "7");
  EXPECT_EQ(InStatusOrFunction(true, false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(InStatusOrFunction(false, true).status().code(), absl::StatusCode::kInvalidArgument);
}

absl::Status AssignForms(bool ok, int* out, int* boxed) {
  OBP_ASSIGN_OR_RETURN(auto a, Number(ok));                 // declaration with auto
  OBP_ASSIGN_OR_RETURN(*out, Number(ok));                   // existing lvalue
  OBP_ASSIGN_OR_RETURN(std::unique_ptr<int> p, Owned(ok));  // move-only value
  OBP_ASSIGN_OR_RETURN(auto b, Number(ok));
  OBP_ASSIGN_OR_RETURN(auto c, Number(ok));
  *boxed = *p + a + b + c;
  return absl::OkStatus();
}

TEST(StatusMacros, AssignOrReturnDeclaresAssignsAndMoves) {
  int out = 0, boxed = 0;
  ASSERT_TRUE(AssignForms(true, &out, &boxed).ok());
  EXPECT_EQ(out, 7);
  EXPECT_EQ(boxed, 9 + 7 + 7 + 7);
  out = 0;
  absl::Status s = AssignForms(false, &out, &boxed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "no number");
  EXPECT_EQ(out, 0);
}

}  // namespace
}  // namespace obp
