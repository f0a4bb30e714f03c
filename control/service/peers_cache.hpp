// The peers cache: <home>/peers.d/<address>.peer holds a peer's public
// identity and its last direct path ("<identity>\n<ip/port>\n"), so a
// restarted root knows its peers -- and can tell the data plane where they
// are -- before any of them says HELLO again.
//
// Bounded: at most max_peers files (the caller passes at least its peer
// table's capacity; only peers in the table are written, and the file of a
// peer that left the table is removed at the next save) of at most
// kMaxFileBytes each, so at most max_peers * kMaxFileBytes bytes. Files are
// 0600 in a 0700 directory (an older cache is made so when it is loaded).
//
// Trust: restored identities skip the memory-hard address check (a root
// with 100,000 peers would otherwise need hours at the 25/s identity budget).
// That is safe because only flatnetd writes these files, after it checked
// each identity when it first learned it, and whoever can write them can
// also replace identity.secret next to them. A planted entry costs one key
// agreement and a table slot; the peer it names cannot authenticate with
// keys it does not hold, and it is forgotten like any silent peer.
//
// Loading does not hold the event loop: a thread lists the directory and
// reads and parses the files; the loop takes the results in batches
// (take()) and restores them into the core a bounded number per turn.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crypto/identity.hpp"
#include "dataplane/wire/inet_address.hpp"

namespace flatnet::control::service {

struct CachedPeer {
  crypto::Identity identity;
  wire::InetAddress path;
};

class PeersCache {
 public:
  static constexpr size_t kMaxFileBytes = 1024;

  PeersCache(std::string dir, size_t max_peers);
  ~PeersCache();  // waits for the loader
  PeersCache(const PeersCache&) = delete;
  PeersCache& operator=(const PeersCache&) = delete;

  // Starts the loader thread (once). Files that are too big or
  // unparsable, or beyond max_peers, are removed and counted; files that
  // cannot be read (EMFILE, EIO, EACCES...) are counted and kept.
  void start_load();
  // Moves up to `max` loaded peers to `out`; their files count as current
  // (a save removes them if the caller did not keep the peer).
  size_t take(std::vector<CachedPeer>& out, size_t max);
  // The loader runs, or loaded peers wait to be taken.
  bool loading() const;

  struct LoadStats {
    size_t loaded = 0;   // parsed and handed over
    size_t bad = 0;      // too big or unparsable: removed
    size_t over = 0;     // beyond max_peers: removed
    size_t errors = 0;   // could not be read (EMFILE, EIO...): kept
  };
  LoadStats load_stats() const;

  // Writes the file of every peer `for_each` visits whose path changed
  // since its file was written, and removes the files of peers it no
  // longer visits. visit(identity, "ip/port"). At most `max_ops` file
  // operations (writes and removals) per call, so a fresh root with 100k
  // peers does not hold its loop for seconds: the rest is `deferred`, and
  // the caller calls again soon (each call walks the table; what was
  // written no longer counts as changed). A new file is deferred too while
  // the files of departed peers still fill the max_peers bound.
  using Visit = std::function<void(const crypto::Identity&, const std::string&)>;
  struct SaveStats {
    size_t written = 0, removed = 0, failed = 0;
    size_t deferred = 0;  // changed or departed peers left for the next call
  };
  static constexpr size_t kMaxOpsPerSave = 512;
  SaveStats save(const std::function<void(const Visit&)>& for_each,
                 size_t max_ops = kMaxOpsPerSave);

  size_t files() const { return files_.size(); }

 private:
  void load_thread();
  std::string file_of(uint64_t addr) const;

  const std::string dir_;
  const size_t max_peers_;
  struct FileState {
    std::string path;  // written in the file
    uint64_t gen;      // the last save that visited its peer
  };
  std::unordered_map<uint64_t, FileState> files_;  // loop only: address -> file
  uint64_t gen_ = 0;

  mutable std::mutex mu_;            // guards ready_ and stats_
  std::deque<CachedPeer> ready_;     // loaded, not yet taken (<= max_peers_)
  LoadStats stats_;
  std::atomic<bool> running_{false};
  bool started_ = false;
  std::thread loader_;
};

}  // namespace flatnet::control::service
