#include "os/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace weft::os {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// A pipe whose ends are owned by the test, not yet by a UniqueFd.
struct RawPipe {
  RawPipe() { EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0); }
  int fds[2] = {-1, -1};
};

TEST(UniqueFdTest, ClosesItsDescriptorWhenDestroyed) {
  RawPipe raw;
  {
    UniqueFd read(raw.fds[0]);
    EXPECT_TRUE(read.valid());
    EXPECT_EQ(read.get(), raw.fds[0]);
  }
  EXPECT_FALSE(IsOpen(raw.fds[0]));
  close(raw.fds[1]);
}

TEST(UniqueFdTest, DefaultIsEmpty) {
  UniqueFd none;
  EXPECT_FALSE(none.valid());
  EXPECT_EQ(none.get(), -1);
}

TEST(UniqueFdTest, ResetClosesAtOnceAndOnlyOnce) {
  RawPipe raw;
  UniqueFd read(raw.fds[0]);
  read.Reset();
  EXPECT_FALSE(read.valid());
  EXPECT_FALSE(IsOpen(raw.fds[0]));
  // The lowest free number is handed out again; a second Reset must not close its new owner.
  UniqueFd reused(dup(raw.fds[1]));
  ASSERT_EQ(reused.get(), raw.fds[0]);
  read.Reset();
  EXPECT_TRUE(IsOpen(reused.get()));
  close(raw.fds[1]);
}

TEST(UniqueFdTest, MoveTransfersOwnership) {
  RawPipe raw;
  UniqueFd first(raw.fds[0]);
  UniqueFd second(std::move(first));
  EXPECT_FALSE(first.valid());
  EXPECT_EQ(second.get(), raw.fds[0]);
  UniqueFd third;
  third = std::move(second);
  EXPECT_FALSE(second.valid());
  EXPECT_TRUE(IsOpen(raw.fds[0]));
  third.Reset();
  EXPECT_FALSE(IsOpen(raw.fds[0]));
  close(raw.fds[1]);
}

TEST(UniqueFdTest, MoveAssignmentClosesTheDescriptorItReplaces) {
  RawPipe raw;
  UniqueFd read(raw.fds[0]);
  UniqueFd write(raw.fds[1]);
  read = std::move(write);
  EXPECT_FALSE(IsOpen(raw.fds[0]));
  EXPECT_EQ(read.get(), raw.fds[1]);
  EXPECT_TRUE(IsOpen(raw.fds[1]));
}

TEST(UniqueFdTest, SelfMoveAssignmentKeepsTheDescriptor) {
  RawPipe raw;
  UniqueFd read(raw.fds[0]);
  UniqueFd& alias = read;
  read = std::move(alias);
  EXPECT_TRUE(IsOpen(raw.fds[0]));
  EXPECT_EQ(read.get(), raw.fds[0]);
  close(raw.fds[1]);
}

TEST(UniqueFdTest, ReleaseGivesTheDescriptorUpOpen) {
  RawPipe raw;
  int released = -1;
  {
    UniqueFd read(raw.fds[0]);
    released = read.release();
    EXPECT_FALSE(read.valid());
  }
  EXPECT_EQ(released, raw.fds[0]);
  EXPECT_TRUE(IsOpen(released));
  close(released);
  close(raw.fds[1]);
}

}  // namespace
}  // namespace weft::os
