// Files that must not be lost or leaked (docs/control.md "Files"): whole-file
// reads that tell "not there" apart from every other failure, and writes
// that leave a path holding either its old content or all of the new one,
// never a partial file, across a crash (kill -9) or a power loss.
// flatnetd (identity, token, planet, moons, peers cache) and flatnet-idtool
// (identity files) both write through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace flatnet::control::service {

// Largest file read_whole_file reads unless told otherwise (a planet is a
// few KB; nothing in a home directory comes near this).
inline constexpr size_t kMaxFileBytes = size_t(16) << 20;

// Reads a whole regular file into `out` (replacing it). Returns 0, or the
// errno of what failed: ENOENT when nothing is there; EISDIR for a
// directory and EINVAL for a fifo, socket or device (the file is opened
// non-blocking, so a fifo planted in its place cannot stall a start);
// EFBIG above `max_bytes`; otherwise what open/read said (EACCES, EIO, ...).
// The buffer is sized once from the file's size, so a secret read here is
// not left behind in a freed smaller buffer.
int read_whole_file(const std::string& path, std::string& out, size_t max_bytes = kMaxFileBytes);

// read_whole_file for callers to whom every failure means the same.
inline bool read_file(const std::string& path, std::string& out) {
  return read_whole_file(path, out) == 0;
}

// Whether write_file_atomic may replace a file already at `path`.
enum class Replace : uint8_t { kYes, kNo };
// Whether it waits for the disk. kNone is for caches (peers.d): still all
// or nothing across a crash of the process, but a power loss may lose the
// latest version -- and thousands of files are not fsync'd twice each
// while the event loop waits.
enum class Sync : uint8_t { kFileAndDir, kNone };

// Writes `data` to `path` so that `path` holds either what it held before or
// all of `data`: a temp file beside it (unique name, O_EXCL, created with
// `mode` so a secret is never readable by others, even for a moment; mode
// set exactly whatever the umask), every write checked, fsync'd, close()
// checked, then renamed over `path` (Replace::kNo: put in place only if
// nothing is there, else EEXIST) and the directory fsync'd so the rename
// itself survives a power loss. On failure the temp file is removed and
// *why, if given, names the step and the errno.
// Only the directory fsync failing (after the rename: the new file is in
// place and is what every reader sees) returns true, with *why, if given,
// starting "warning: ": the write succeeded but may not survive a power
// loss. A caller reports a non-empty *why after success as a warning, not
// a failure. On any other success *why is cleared.
bool write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                       std::string* why = nullptr, Replace replace = Replace::kYes,
                       Sync sync = Sync::kFileAndDir);

// The temp files write_file_atomic leaves when its process is killed
// between create and rename ("<name>.tmp-<pid>-<n>") may hold secrets
// (identity.secret, authtoken.secret) and nothing else removes them:
// removes those in `dir` whose writer pid is not running (kill(pid, 0) says
// ESRCH; our own pid and live ones are kept). Returns how many it removed.
size_t remove_stale_temp_files(const std::string& dir);
// The writer pid in a temp file's name, 0 if the name is not one.
long temp_file_pid(const char* name);

}  // namespace flatnet::control::service
