// kill -9 loses no acknowledged change: a child process writes a stream of
// member changes through the store and reports each one on a pipe once the
// call has returned; the parent kills it at a random moment, reopens the
// database and checks that every reported change is there. Bounded: a few
// rounds, each at most a few thousand changes or a few seconds.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "control/controller/store/sqlite_store.hpp"
#include "tests/unit/controller/store_fixture.hpp"

using namespace flatnet::control::controller;
using namespace flatnet::control::controller::store;
using namespace flatnet::control::controller::testing;

namespace {

constexpr uint64_t kMaxChanges = 4000;

// The child: members 1..N are created, and every third one re-authorized
// (an update of an existing row). Each acknowledged change is reported as
// its sequence number i (8 bytes; a pipe write of <= PIPE_BUF is atomic).
[[noreturn]] void writer(const std::string& path, int fd, bool power_safe) {
  std::string err;
  auto s = SqliteStore::open(path, &err, SqliteStore::Options{power_safe});
  if (!s) _exit(2);
  for (uint64_t i = 1; i <= kMaxChanges; ++i) {
    Member m = make_member(0x0a00000000ULL + ((i + 2) / 3));
    m.authorized = i % 3 == 0;  // change 3k updates the member of change 3k-2
    m.name = "change-" + std::to_string(i);
    if (s->put_member(m, nullptr, &err) != Status::kOk) _exit(3);
    if (write(fd, &i, sizeof i) != sizeof i) _exit(4);
  }
  _exit(0);
}

}  // namespace

TEST(StoreDurability, KillNineLosesNoAcknowledgedChange) {
  std::mt19937_64 rng(std::random_device{}());
  // Both durability settings: synchronous=FULL and NORMAL must each keep
  // every acknowledged change across kill -9.
  for (int round = 0; round < 4; ++round) {
    const bool power_safe = round % 2 == 0;
    TempDir d;
    const std::string path = d.file(kDefaultFileName);
    std::string err;
    {
      auto s = SqliteStore::open(path, &err);
      ASSERT_TRUE(s) << err;
      ASSERT_EQ(s->put_network(make_network(), nullptr, &err), Status::kOk);
    }
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(p[0]);
      writer(path, p[1], power_safe);
    }
    close(p[1]);
    // Kill after a random number of acknowledgements (or after a random
    // time if the disk is slow), so the kill lands anywhere in a commit.
    const uint64_t kill_after = 1 + rng() % 1500;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(200 + rng() % 3000);
    uint64_t acked = 0;
    bool killed = false;
    for (;;) {
      if (!killed && (acked >= kill_after || std::chrono::steady_clock::now() >= deadline)) {
        kill(pid, SIGKILL);
        killed = true;
      }
      pollfd pf{p[0], POLLIN, 0};
      int r = poll(&pf, 1, 50);
      if (r < 0 && errno == EINTR) continue;
      ASSERT_GE(r, 0);
      if (r == 0) continue;
      uint64_t v;
      ssize_t n = read(p[0], &v, sizeof v);
      if (n == 0) break;  // the child is gone and the pipe drained
      ASSERT_EQ(n, ssize_t(sizeof v));
      ASSERT_EQ(v, acked + 1);  // in order, none skipped
      acked = v;
    }
    close(p[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "writer failed: " << status;

    auto s = SqliteStore::open(path, &err);
    ASSERT_TRUE(s) << err;
    for (uint64_t i = 1; i <= acked; ++i) {
      // The newest acknowledged change of each member is what must be there.
      uint64_t address = 0x0a00000000ULL + ((i + 2) / 3);
      uint64_t newest = std::min(acked, ((i + 2) / 3) * 3);
      if (newest < i) continue;
      Member m;
      ASSERT_EQ(s->get_member(kNwid, address, m, &err), Status::kOk)
          << "round " << round << ": change " << i << " of " << acked << " lost " << err;
      ASSERT_TRUE(m.name);
      uint64_t stored = std::stoull(m.name->substr(7));
      EXPECT_GE(stored, newest) << "round " << round << ": member " << address;
    }
    MemberCounts c;
    ASSERT_EQ(s->count_members(kNwid, c, &err), Status::kOk);
    EXPECT_GE(c.total, (acked + 2) / 3);
    std::printf("round %d (synchronous=%s): killed after %llu acknowledged changes\n", round,
                power_safe ? "FULL" : "NORMAL", (unsigned long long)acked);
  }
}
