// The peers cache (see peers_cache.hpp).
#include "control/service/peers_cache.hpp"

#include <sys/stat.h>

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
      const auto size = fs::file_size(p, ec2);
      LoadStats add;
      std::string text;
      std::optional<crypto::Identity> id;
      std::optional<wire::InetAddress> addr;
      if (n >= max_peers_) {
        add.over = 1;
      } else if (ec2 || size > kMaxFileBytes || !read_file(p.string(), text) ||
                 text.size() > kMaxFileBytes) {
        add.bad = 1;
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
    files_[c.identity.address()] = c.path.to_string();
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

PeersCache::SaveStats PeersCache::save(const std::function<void(const Visit&)>& for_each) {
  SaveStats s;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    fs::create_directories(dir_, ec);
    ::chmod(dir_.c_str(), 0700);
  }
  std::unordered_set<uint64_t> seen;
  seen.reserve(files_.size());
  for_each([&](const crypto::Identity& id, const std::string& path) {
    if (seen.size() >= max_peers_) return;  // the bound holds even if the caller's does not
    const uint64_t a = id.address();
    seen.insert(a);
    auto it = files_.find(a);
    if (it != files_.end() && it->second == path) return;
    if (write_file_atomic(file_of(a), id.to_string(false) + "\n" + path + "\n", 0600, nullptr,
                          Replace::kYes, Sync::kNone)) {
      files_[a] = path;
      ++s.written;
    } else {
      ++s.failed;
    }
  });
  // Peers no longer in the table (evicted, forgotten): their files go.
  for (auto it = files_.begin(); it != files_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    fs::remove(file_of(it->first), ec);
    it = files_.erase(it);
    ++s.removed;
  }
  return s;
}

}  // namespace flatnet::control::service
