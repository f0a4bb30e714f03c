// Whole-file reads and crash-safe writes (see files.hpp).
#include "control/service/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace flatnet::control::service {
namespace {

// Closes a descriptor on every return path; release() hands it back.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

void fail(std::string* why, const std::string& step, int err) {
  if (why) *why = step + ": " + std::strerror(err);
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The rename is only durable once the directory entry is: fsync the
// directory (what every careful writer does, e.g. SQLite's unix VFS).
int fsync_dir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return errno;
  if (::fsync(d.fd) != 0) return errno;
  return 0;
}

// Puts `tmp` at `path` only if nothing is there. renameat2(NOREPLACE) where
// the file system has it, else link + unlink (same guarantee).
int place_no_replace(const std::string& tmp, const std::string& path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  if (::link(tmp.c_str(), path.c_str()) != 0) return errno;
  ::unlink(tmp.c_str());
  return 0;
}

}  // namespace

int read_whole_file(const std::string& path, std::string& out, size_t max_bytes) {
  out.clear();
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (f.fd < 0) return errno;
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (!S_ISREG(st.st_mode)) return EINVAL;
  if (uint64_t(st.st_size) > max_bytes) return EFBIG;
  out.resize(size_t(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      // The file grew since fstat (or is a kernel file reporting size 0):
      // read on, in bounded steps.
      if (out.size() >= max_bytes) {
        char probe;
        ssize_t n = ::read(f.fd, &probe, 1);
        if (n == 0) break;
        out.clear();
        return n < 0 ? errno : EFBIG;
      }
      out.resize(std::min(max_bytes, out.size() + 4096));
    }
    ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      out.clear();
      return e;
    }
    if (n == 0) break;
    got += size_t(n);
  }
  out.resize(got);
  return 0;
}

bool write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                       std::string* why, Replace replace, Sync sync) {
  // Unique per process and per call; O_EXCL refuses a leftover of a
  // crashed writer whose pid we got again, and we move on to the next name.
  static std::atomic<uint64_t> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%llu", long(::getpid()),
                  static_cast<unsigned long long>(counter.fetch_add(1)));
    tmp = path + suffix;
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    fail(why, "cannot create " + tmp, errno);
    return false;
  }
  Fd f(fd);
  auto abandon = [&](const std::string& step, int err) {
    if (f.fd >= 0) ::close(f.release());
    ::unlink(tmp.c_str());
    fail(why, step, err);
    return false;
  };
  // The umask can only have narrowed the mode: set it exactly.
  if (::fchmod(f.fd, mode & 07777) != 0) return abandon("chmod " + tmp, errno);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(f.fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return abandon("write " + tmp, n < 0 ? errno : EIO);
    off += size_t(n);
  }
  if (sync == Sync::kFileAndDir && ::fsync(f.fd) != 0) return abandon("fsync " + tmp, errno);
  // close() can report a write-back error fsync did not (NFS): check it.
  if (::close(f.release()) != 0) return abandon("close " + tmp, errno);
  if (replace == Replace::kYes) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) return abandon("rename to " + path, errno);
  } else if (int e = place_no_replace(tmp, path)) {
    return abandon(e == EEXIST ? path + " appeared meanwhile; not replaced" : "create " + path, e);
  }
  if (why) why->clear();
  if (sync == Sync::kNone) return true;
  // The new file is in place and every reader sees it: a failure here only
  // means the rename may not survive a power loss. Success, with a warning
  // (files.hpp), so callers do not report a failure for a file that is there.
  if (int e = fsync_dir(dir_of(path)))
    fail(why, "warning: fsync of the directory of " + path + " (written, but a power loss may undo it)", e);
  return true;
}

// "<name>.tmp-<pid>-<n>": the pid of the writer, or 0 if not such a name.
long temp_file_pid(const char* name) {
  const char* t = std::strstr(name, ".tmp-");
  if (!t || t == name) return 0;
  while (const char* next = std::strstr(t + 1, ".tmp-")) t = next;  // the last one
  const char* p = t + 5;
  long pid = 0;
  const char* q = p;
  for (; *q >= '0' && *q <= '9' && q - p < 10; ++q) pid = pid * 10 + (*q - '0');
  if (q == p || *q != '-' || !q[1]) return 0;
  for (const char* r = q + 1; *r; ++r)
    if (*r < '0' || *r > '9') return 0;
  return pid;
}

size_t remove_stale_temp_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  size_t removed = 0;
  const long self = long(::getpid());
  while (dirent* e = ::readdir(d)) {
    const long pid = temp_file_pid(e->d_name);
    if (pid <= 0 || pid == self) continue;
    // A live writer (another flatnetd, flatnet-idtool) is still using it;
    // a pid reused by an unrelated process keeps the file too (safe side).
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
    const std::string p = dir + "/" + e->d_name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (::unlink(p.c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

}  // namespace flatnet::control::service
