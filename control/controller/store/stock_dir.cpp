#include "control/controller/store/stock_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "control/controller/limits.hpp"

namespace flatnet::control::controller::store {

namespace fs = std::filesystem;

namespace {

// One page of members at a time keeps an export of a large network bounded
// in memory.
constexpr std::size_t kExportPage = 1000;

bool read_file(const fs::path& p, std::string& out, std::string* err) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec) {
    if (err) *err = p.string() + ": " + ec.message();
    return false;
  }
  if (size > kMaxRecordBytes) {
    if (err) *err = p.string() + ": larger than " + std::to_string(kMaxRecordBytes) + " bytes";
    return false;
  }
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in) {
    if (err) *err = p.string() + ": cannot read";
    return false;
  }
  out = ss.str();
  return true;
}

// Written whole to a temporary name and renamed, so an interrupted export
// leaves no half record under a real name. Synced once for the whole export
// (sync_dir), not per file: a per-file fsync made 5,000 members take
// tens of seconds.
bool write_file(const fs::path& p, const std::string& text, std::string* err) {
  const std::string tmp = p.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  for (std::size_t off = 0; ok && off < text.size();) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    off += ok ? std::size_t(n) : 0;
  }
  if (fd >= 0) ok = (::close(fd) == 0) && ok;
  ok = ok && ::rename(tmp.c_str(), p.c_str()) == 0;
  if (!ok) {
    if (err) *err = p.string() + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
  }
  return ok;
}

bool sync_dir(const fs::path& p, std::string* err) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  bool ok = fd >= 0 && ::syncfs(fd) == 0;
  if (!ok && err) *err = p.string() + ": sync: " + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return ok;
}

bool make_dir(const fs::path& p, std::string* err) {
  if (::mkdir(p.c_str(), 0700) == 0 || errno == EEXIST) return true;
  if (err) *err = p.string() + ": " + std::strerror(errno);
  return false;
}

// Stock reads "<16 hex>.json" and "<10 hex>.json" only (by name length).
bool record_name(const std::string& name, unsigned digits, std::string& id) {
  if (name.size() != digits + 5 || name.substr(digits) != ".json") return false;
  id = name.substr(0, digits);
  return true;
}

}  // namespace

Status import_stock_dir(Store& store, const std::string& dir, int64_t now_ms, ImportStats* stats,
                        std::string* err) {
  ImportStats local;
  ImportStats& st = stats ? *stats : local;
  st = {};
  std::vector<Network> networks;
  std::vector<Member> members;
  const fs::path root = fs::path(dir) / "network";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    if (err) *err = root.string() + ": not a directory (is this a controller.d?)";
    return Status::kNotFound;
  }
  auto bad = [&](const fs::path& p, const std::string& why) {
    if (err) *err = p.string() + ": " + why;
    return Status::kInvalid;
  };
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    std::string id;
    if (e.is_directory()) {  // a network's member/ directory, read with its network
      dirs.push_back(e.path());
      continue;
    }
    if (!record_name(name, 16, id)) {
      st.skipped.push_back(e.path().string());
      continue;
    }
    std::string text, why;
    Network n;
    if (!read_file(e.path(), text, err)) return Status::kError;
    if (!parse_network(text, now_ms, n, &why)) return bad(e.path(), why);
    if (format_network_id(n.id) != id) return bad(e.path(), "\"id\" differs from the file name");
    networks.push_back(std::move(n));

    // A network without members has no member/ directory: not an error (the
    // check's own error code, so a missing directory does not end the walk).
    const fs::path mdir = root / id / "member";
    std::error_code mec;
    if (!fs::is_directory(mdir, mec)) continue;
    for (const auto& me : fs::directory_iterator(mdir, ec)) {
      const std::string mname = me.path().filename().string();
      std::string addr;
      if (!record_name(mname, 10, addr) || !me.is_regular_file()) {
        st.skipped.push_back(me.path().string());
        continue;
      }
      Member m;
      if (!read_file(me.path(), text, err)) return Status::kError;
      if (!parse_member(text, now_ms, m, &why)) return bad(me.path(), why);
      if (format_member_address(m.address) != addr || m.nwid != networks.back().id)
        return bad(me.path(), "\"id\"/\"nwid\" differ from the file's place");
      members.push_back(std::move(m));
    }
    if (ec) break;
  }
  if (ec) {
    if (err) *err = root.string() + ": " + ec.message();
    return Status::kError;
  }
  // Member directories of a network that has no record: stock ignores
  // them too, but they are somebody's data, so they are listed.
  std::set<std::string> owned;
  for (const Network& n : networks) owned.insert(format_network_id(n.id));
  for (const fs::path& p : dirs)
    if (!owned.count(p.filename().string())) st.skipped.push_back(p.string());
  Status s = store.import_records(networks, members, err);
  if (s == Status::kOk) {
    st.networks = networks.size();
    st.members = members.size();
  }
  return s;
}

Status export_stock_dir(Store& store, const std::string& dir, std::string* err) {
  const fs::path root = fs::path(dir) / "network";
  std::error_code ec;
  if (fs::exists(root, ec)) {
    if (err) *err = root.string() + ": already exists; export writes into an empty place";
    return Status::kInvalid;
  }
  if (!make_dir(dir, err) || !make_dir(root, err)) return Status::kError;
  std::vector<uint64_t> ids;
  if (Status s = store.list_networks(ids, err); s != Status::kOk) return s;
  for (uint64_t nwid : ids) {
    Network n;
    if (Status s = store.get_network(nwid, n, err); s != Status::kOk) return s;
    const std::string id = format_network_id(nwid);
    if (!write_file(root / (id + ".json"), network_to_json(n).dump(), err)) return Status::kError;
    const fs::path mdir = root / id / "member";
    if (!make_dir(root / id, err) || !make_dir(mdir, err)) return Status::kError;
    uint64_t after = 0;
    for (;;) {
      MemberPage page;
      if (Status s = store.list_members(nwid, after, kExportPage, page, err); s != Status::kOk)
        return s;
      for (const Member& m : page.members)
        if (!write_file(mdir / (format_member_address(m.address) + ".json"),
                        member_to_json(m).dump(), err))
          return Status::kError;
      if (!page.next_after) break;
      after = *page.next_after;
    }
  }
  return sync_dir(dir, err) ? Status::kOk : Status::kError;
}

}  // namespace flatnet::control::controller::store
