// The peers cache (see peers_cache.hpp).
#include "control/service/peers_cache.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <unordered_set>

#include "control/service/settings.hpp"
#include "dataplane/wire/hex.hpp"

namespace flatnet::control::service {

namespace fs = std::filesystem;

PeersCache::PeersCache(std::string dir, size_t max_peers)
    : dir_(std::move(dir)), max_peers_(std::max<size_t>(max_peers, 1)) {}

PeersCache::~PeersCache() {
  if (loader_.joinable()) loader_.join();
}

std::string PeersCache::file_of(uint64_t addr) const {
  return dir_ + "/" + wire::hex_address(addr) + ".peer";
}

void PeersCache::start_load() {
  if (started_) return;
  started_ = true;
  running_.store(true, std::memory_order_release);
  loader_ = std::thread([this] { load_thread(); });
}

// Runs on the loader thread: touches only the directory, ready_ and stats_
// (under mu_), never files_ or anything of the loop's.
void PeersCache::load_thread() {
  std::error_code ec;
  size_t n = 0;
  if (fs::is_directory(dir_, ec)) {
    ::chmod(dir_.c_str(), 0700);  // a cache from before the files were private
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() != ".peer") continue;
      std::error_code ec2;
      LoadStats add;
      std::string text;
      std::optional<crypto::Identity> id;
      std::optional<wire::InetAddress> addr;
      // Only the file's content condemns it (too big, unparsable): a failure
      // to read it (EMFILE, EIO, EACCES) says nothing about the file, which
      // is kept for the next start. ENOENT: gone meanwhile, nothing to do.
      const int err = n >= max_peers_ ? 0 : read_whole_file(p.string(), text, kMaxFileBytes);
      if (n >= max_peers_) {
        add.over = 1;
      } else if (err == EFBIG || err == EISDIR || err == EINVAL) {
        add.bad = 1;
      } else if (err == ENOENT) {
        continue;
      } else if (err) {
        add.errors = 1;
      } else {
        const size_t nl = text.find('\n');
        const size_t nl2 = nl == std::string::npos ? nl : text.find('\n', nl + 1);
        if (nl != std::string::npos) {
          id = crypto::Identity::from_string(std::string_view(text).substr(0, nl));
          addr = wire::InetAddress::from_string(
              text.substr(nl + 1, nl2 == std::string::npos ? std::string::npos : nl2 - nl - 1));
        }
        // The file's name must be the identity's address (a copied or
        // renamed file would otherwise be kept under two names).
        if (!id || !addr || id->has_private() ||
            p.filename().string() != id->address_string() + ".peer")
          add.bad = 1;
      }
      std::lock_guard<std::mutex> g(mu_);
      if (add.errors) {
        ++stats_.errors;
        continue;
      }
      if (add.bad || add.over) {
        stats_.bad += add.bad;
        stats_.over += add.over;
        fs::remove(p, ec2);
        continue;
      }
      ::chmod(p.c_str(), 0600);
      ready_.push_back(CachedPeer{std::move(*id), *addr});
      ++stats_.loaded;
      ++n;
    }
  }
  running_.store(false, std::memory_order_release);
}

size_t PeersCache::take(std::vector<CachedPeer>& out, size_t max) {
  std::lock_guard<std::mutex> g(mu_);
  size_t n = 0;
  while (n < max && !ready_.empty()) {
    CachedPeer& c = ready_.front();
    // Generation 0: not visited by any save yet, so the next save removes
    // the file unless the caller kept the peer.
    files_[c.identity.address()] = FileState{c.path.to_string(), 0};
    out.push_back(std::move(c));
    ready_.pop_front();
    ++n;
  }
  return n;
}

bool PeersCache::loading() const {
  if (running_.load(std::memory_order_acquire)) return true;
  std::lock_guard<std::mutex> g(mu_);
  return !ready_.empty();
}

PeersCache::LoadStats PeersCache::load_stats() const {
  std::lock_guard<std::mutex> g(mu_);
  return stats_;
}

PeersCache::SaveStats PeersCache::save(const std::function<void(const Visit&)>& for_each,
                                       size_t max_ops) {
  SaveStats s;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    fs::create_directories(dir_, ec);
    ::chmod(dir_.c_str(), 0700);
  }
  // Each walk stamps the files of the peers it visits with a new
  // generation; files left with an older one belong to departed peers.
  // No set of the visited peers is built: a walk costs lookups, and the
  // file operations (write, remove) are capped at max_ops per call.
  ++gen_;
  size_t visited = 0, ops = 0;
  for_each([&](const crypto::Identity& id, const std::string& path) {
    if (visited >= max_peers_) return;  // the bound holds even if the caller's does not
    ++visited;
    const uint64_t a = id.address();
    auto it = files_.find(a);
    if (it != files_.end()) {
      it->second.gen = gen_;
      if (it->second.path == path) return;
    }
    // Over the budget, or a new file while departed peers' files still
    // fill the bound: the next call writes it.
    if (ops >= max_ops || (it == files_.end() && files_.size() >= max_peers_)) {
      ++s.deferred;
      return;
    }
    ++ops;
    if (write_file_atomic(file_of(a), id.to_string(false) + "\n" + path + "\n", 0600, nullptr,
                          Replace::kYes, Sync::kNone)) {
      if (it == files_.end()) files_.emplace(a, FileState{path, gen_});
      else it->second.path = path;
      ++s.written;
    } else {
      ++s.failed;
    }
  });
  // Peers no longer in the table (evicted, forgotten): their files go.
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->second.gen == gen_) {
      ++it;
      continue;
    }
    if (ops >= max_ops) {
      ++s.deferred;
      ++it;
      continue;
    }
    ++ops;
    fs::remove(file_of(it->first), ec);
    it = files_.erase(it);
    ++s.removed;
  }
  return s;
}

}  // namespace flatnet::control::service
