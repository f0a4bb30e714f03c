// control/service/files.*: whole-file reads tell "not there" from other
// failures without blocking on a fifo; writes are exact in mode whatever
// the umask, leave no temp file behind on success or failure, refuse to
// replace when told not to, and -- the planet-update case -- a process
// killed with SIGKILL at any moment around a write leaves the old or the
// new planet, never an empty or partial file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>

#include <filesystem>
#include <thread>

#include "control/service/settings.hpp"
#include "tests/unit/control/harness.hpp"

// fsync as the files library sees it: this definition in the test binary
// takes the place of libc's, so a test can make the directory fsync fail
// (EIO) -- nothing else can make it fail on demand.
static std::atomic<bool> g_fail_dir_fsync{false};
extern "C" int fsync(int fd) {
  struct stat st {};
  if (g_fail_dir_fsync.load() && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    errno = EIO;
    return -1;
  }
  return int(::syscall(SYS_fsync, fd));
}

namespace flatnet::control::service {
namespace {

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flatnet-files-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static unsigned mode(const std::filesystem::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
  }
  // Temp files of write_file_atomic still in the directory.
  size_t temps() const {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_))
      n += e.path().filename().string().find(".tmp-") != std::string::npos;
    return n;
  }
  std::filesystem::path dir_;
};

TEST_F(Files, ModeIsExactWhateverTheUmaskAndNoTempIsLeft) {
  const mode_t old = ::umask(0);
  EXPECT_TRUE(write_file_atomic(dir_ / "a", "public", 0644));
  ::umask(0077);
  EXPECT_TRUE(write_file_atomic(dir_ / "b", "public", 0644));
  EXPECT_TRUE(write_file_atomic(dir_ / "s", "secret", 0600));
  ::umask(old);
  EXPECT_EQ(mode(dir_ / "a"), 0644u);
  EXPECT_EQ(mode(dir_ / "b"), 0644u);
  EXPECT_EQ(mode(dir_ / "s"), 0600u);
  // Replacing keeps nothing of the old file: a 0666 file becomes a 0600 one.
  ASSERT_EQ(::chmod((dir_ / "s").c_str(), 0666), 0);
  EXPECT_TRUE(write_file_atomic(dir_ / "s", "secret2", 0600));
  EXPECT_EQ(mode(dir_ / "s"), 0600u);
  std::string text;
  ASSERT_TRUE(read_file(dir_ / "s", text));
  EXPECT_EQ(text, "secret2");
  EXPECT_EQ(temps(), 0u);
}

TEST_F(Files, ReplaceNoKeepsWhatIsThere) {
  ASSERT_TRUE(write_file_atomic(dir_ / "id", "old", 0600));
  std::string why;
  EXPECT_FALSE(write_file_atomic(dir_ / "id", "new", 0600, &why, Replace::kNo));
  EXPECT_NE(why.find(std::strerror(EEXIST)), std::string::npos) << why;
  std::string text;
  ASSERT_TRUE(read_file(dir_ / "id", text));
  EXPECT_EQ(text, "old");
  EXPECT_TRUE(write_file_atomic(dir_ / "fresh", "new", 0600, &why, Replace::kNo)) << why;
  ASSERT_TRUE(read_file(dir_ / "fresh", text));
  EXPECT_EQ(text, "new");
  EXPECT_EQ(temps(), 0u);
}

// A cache file (no fsync) is still written whole, with its mode.
TEST_F(Files, CacheWritesSkipOnlyTheFsync) {
  std::string why;
  ASSERT_TRUE(write_file_atomic(dir_ / "a.peer", "cache", 0644, &why, Replace::kYes, Sync::kNone))
      << why;
  std::string text;
  ASSERT_TRUE(read_file(dir_ / "a.peer", text));
  EXPECT_EQ(text, "cache");
  EXPECT_EQ(mode(dir_ / "a.peer"), 0644u);
  EXPECT_EQ(temps(), 0u);
}

TEST_F(Files, FailedWriteSaysWhyAndRemovesItsTempFile) {
  // The rename cannot put a file over a non-empty directory.
  std::filesystem::create_directories(dir_ / "planet" / "x");
  std::string why;
  EXPECT_FALSE(write_file_atomic(dir_ / "planet", "bytes", 0644, &why));
  EXPECT_NE(why.find("rename"), std::string::npos) << why;
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "planet"));
  EXPECT_EQ(temps(), 0u);
  // No such directory: the temp file cannot even be created.
  EXPECT_FALSE(write_file_atomic(dir_ / "no" / "planet", "bytes", 0644, &why));
  EXPECT_NE(why.find(std::strerror(ENOENT)), std::string::npos) << why;
}

TEST_F(Files, ReadWholeFileTellsWhyItFailed) {
  std::string out = "stale";
  EXPECT_EQ(read_whole_file(dir_ / "missing", out), ENOENT);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(read_whole_file(dir_, out), EISDIR);
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(read_whole_file(dir_ / "fifo", out), EINVAL);  // and did not block
  const std::string big(100000, 'x');
  ASSERT_TRUE(write_file_atomic(dir_ / "big", big, 0644));
  EXPECT_EQ(read_whole_file(dir_ / "big", out, 1000), EFBIG);
  EXPECT_EQ(read_whole_file(dir_ / "big", out), 0);
  EXPECT_EQ(out, big);
  ASSERT_TRUE(write_file_atomic(dir_ / "empty", "", 0644));
  EXPECT_EQ(read_whole_file(dir_ / "empty", out), 0);
  EXPECT_TRUE(out.empty());
}

// Two planets of different sizes, as a root would send them in turn.
struct Planets {
  wire::World a, b;
  std::string a_bytes, b_bytes;
};
Planets two_planets() {
  test::WorldKey k = test::world_key();
  Planets p;
  p.a = test::make_world(wire::WorldType::kPlanet, 4242, 1000,
                         {{test::root_identity(), test::v4(10, 1, 0, 1)}}, k, k);
  p.b = test::make_world(wire::WorldType::kPlanet, 4242, 2000,
                         {{test::root_identity(), test::v4(10, 1, 0, 1)},
                          {test::parse_identity(test::kIdentityB), test::v4(10, 1, 0, 2)}},
                         k, k);
  std::vector<uint8_t> v;
  EXPECT_TRUE(wire::serialize_world(p.a, v));
  p.a_bytes.assign(v.begin(), v.end());
  v.clear();
  EXPECT_TRUE(wire::serialize_world(p.b, v));
  p.b_bytes.assign(v.begin(), v.end());
  EXPECT_NE(p.a_bytes.size(), p.b_bytes.size());
  return p;
}

// The planet a crashed flatnetd left behind: complete, signed, and one of
// the two it was writing (Daemon::save_world writes <home>/planet through
// write_file_atomic, 0644).
void expect_old_or_new(const std::filesystem::path& file, const Planets& p) {
  wire::World w;
  std::string why;
  ASSERT_TRUE(read_world_file(file.string(), w, &why)) << why;
  EXPECT_TRUE(w.timestamp == 1000 || w.timestamp == 2000) << w.timestamp;
  std::string bytes;
  ASSERT_TRUE(read_file(file, bytes));
  EXPECT_TRUE(bytes == p.a_bytes || bytes == p.b_bytes);
}

// Killed right after a planet update: the new planet is there, whole.
TEST_F(Files, KillNineRightAfterAPlanetUpdateLeavesTheNewPlanet) {
  const Planets p = two_planets();
  const auto file = dir_ / "planet";
  ASSERT_TRUE(write_file_atomic(file, p.a_bytes, 0644));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    write_file_atomic(file, p.b_bytes, 0644);
    ::kill(::getpid(), SIGKILL);
    ::_exit(1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  std::string bytes;
  ASSERT_TRUE(read_file(file, bytes));
  EXPECT_EQ(bytes, p.b_bytes);
}

// Killed at an arbitrary moment while writing planet after planet: 25
// kills at different points of the write (create, write, fsync, rename),
// each must leave one planet or the other, never a partial or empty file.
// Leftover temp files of a killed writer are allowed (they are never read).
TEST_F(Files, KillNineAtAnyMomentOfPlanetUpdatesLeavesOldOrNew) {
  const Planets p = two_planets();
  const auto file = dir_ / "planet";
  ASSERT_TRUE(write_file_atomic(file, p.a_bytes, 0644));
  for (int round = 0; round < 25; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      for (unsigned i = 0;; ++i) {
        write_file_atomic(file, i % 2 ? p.a_bytes : p.b_bytes, 0644);
        if (i == 0) {
          (void)!::write(fds[1], "x", 1);
          ::close(fds[1]);
        }
      }
    }
    ::close(fds[1]);
    char c;
    ASSERT_EQ(::read(fds[0], &c, 1), 1);  // the child is writing
    ::close(fds[0]);
    // A different point in its loop each round; correctness must not
    // depend on which.
    std::this_thread::sleep_for(std::chrono::microseconds(137 * round));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    expect_old_or_new(file, p);
  }
}

TEST_F(Files, FailedDirectoryFsyncAfterTheRenameIsSuccessWithAWarning) {
  const std::string p = (dir_ / "planet").string();
  std::string why = "stale";
  ASSERT_TRUE(write_file_atomic(p, "old", 0644, &why));
  EXPECT_TRUE(why.empty());
  g_fail_dir_fsync = true;
  const bool ok = write_file_atomic(p, "new", 0644, &why);
  g_fail_dir_fsync = false;
  EXPECT_TRUE(ok);  // the new file is in place: not a failure
  EXPECT_EQ(why.rfind("warning: ", 0), 0u) << why;
  EXPECT_NE(why.find("Input/output error"), std::string::npos) << why;
  std::string text;
  ASSERT_EQ(read_whole_file(p, text), 0);
  EXPECT_EQ(text, "new");
  EXPECT_EQ(temps(), 0u);
}

TEST(TempFileNames, WriterPidIsParsedFromTheName) {
  EXPECT_EQ(temp_file_pid("identity.secret.tmp-1234-0"), 1234);
  EXPECT_EQ(temp_file_pid("a.tmp-1.tmp-77-12"), 77);
  EXPECT_EQ(temp_file_pid("identity.secret"), 0);
  EXPECT_EQ(temp_file_pid(".tmp-12-1"), 0);
  EXPECT_EQ(temp_file_pid("x.tmp-12-"), 0);
  EXPECT_EQ(temp_file_pid("x.tmp--1"), 0);
  EXPECT_EQ(temp_file_pid("x.tmp-12-3a"), 0);
  EXPECT_EQ(temp_file_pid("x.tmp-99999999999999-1"), 0);
}

TEST_F(Files, StaleTempFilesOfDeadWritersAreRemoved) {
  // A pid that is certainly not running: a child that has exited and been reaped.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const std::string dead = std::to_string(child), self = std::to_string(::getpid());
  auto make = [&](const std::string& name) { std::ofstream((dir_ / name).string()) << "secret"; };
  make("identity.secret.tmp-" + dead + "-0");   // killed mid-write: removed
  make("authtoken.secret.tmp-" + dead + "-3");  // removed
  make("planet.tmp-1-0");                       // pid 1 is running: kept
  make("planet.tmp-" + self + "-0");            // ours: kept
  make("identity.secret");                      // not a temp file
  make("notes.tmp-abc");
  std::filesystem::create_directories(dir_ / ("d.tmp-" + dead + "-1"));  // not a file: kept
  EXPECT_EQ(remove_stale_temp_files(dir_.string()), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / ("identity.secret.tmp-" + dead + "-0")));
  EXPECT_FALSE(std::filesystem::exists(dir_ / ("authtoken.secret.tmp-" + dead + "-3")));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "planet.tmp-1-0"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / ("planet.tmp-" + self + "-0")));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "identity.secret"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "notes.tmp-abc"));
  EXPECT_EQ(remove_stale_temp_files((dir_ / "absent").string()), 0u);
}

}  // namespace
}  // namespace flatnet::control::service
