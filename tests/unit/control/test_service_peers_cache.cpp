// flatnetd's peers cache (control/service/peers_cache): files 0600, bounded
// in count and size, files of peers that left removed, bad files removed,
// loaded on a thread and taken in batches.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/service/peers_cache.hpp"

namespace flatnet::control::service {
namespace {

namespace fs = std::filesystem;

// A public identity that was never through the memory-hard check: the
// cache trusts its own files (peers_cache.hpp says why).
crypto::Identity synthetic(uint64_t addr) {
  char a[16];
  std::snprintf(a, sizeof a, "%010llx", static_cast<unsigned long long>(addr));
  std::string text = std::string(a) + ":0:";
  for (int i = 0; i < 64; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", unsigned((addr * 131 + i * 7) & 0xff));
    text += b;
  }
  return *crypto::Identity::from_string(text);
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/flatnet-peers-cache-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

size_t count_files(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) n += e.path().extension() == ".peer";
  return n;
}

void drain(PeersCache& c, std::vector<CachedPeer>& out) {
  for (int i = 0; i < 10000 && (c.loading() || c.take(out, 7)); ++i) {
    c.take(out, 7);  // small batches, as the loop takes them
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(PeersCache, SavesChangedPeersAs0600AndRemovesThoseThatLeft) {
  TempDir t;
  const std::string dir = t.path + "/peers.d";
  PeersCache c(dir, 100);
  std::vector<crypto::Identity> ids;
  for (uint64_t a = 1; a <= 5; ++a) ids.push_back(synthetic(0x1000000000ull + a));
  auto all = [&](size_t n, const std::string& path) {
    return [&, n, path](const PeersCache::Visit& v) {
      for (size_t i = 0; i < n; ++i) v(ids[i], path);
    };
  };
  PeersCache::SaveStats s = c.save(all(5, "10.0.0.1/9993"));
  EXPECT_EQ(s.written, 5u);
  EXPECT_EQ(count_files(dir), 5u);
  struct stat st;
  ASSERT_EQ(::stat((dir + "/" + ids[0].address_string() + ".peer").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Unchanged: nothing written.
  EXPECT_EQ(c.save(all(5, "10.0.0.1/9993")).written, 0u);
  // Two peers left the table: their files go.
  s = c.save(all(3, "10.0.0.1/9993"));
  EXPECT_EQ(s.removed, 2u);
  EXPECT_EQ(count_files(dir), 3u);
  // A path changed: rewritten.
  EXPECT_EQ(c.save(all(3, "10.0.0.2/9993")).written, 3u);
}

TEST(PeersCache, SaveIsBoundedByMaxPeers) {
  TempDir t;
  PeersCache c(t.path, 4);
  std::vector<crypto::Identity> ids;
  for (uint64_t a = 1; a <= 10; ++a) ids.push_back(synthetic(0x2000000000ull + a));
  c.save([&](const PeersCache::Visit& v) {
    for (auto& id : ids) v(id, "10.0.0.1/9993");
  });
  EXPECT_EQ(count_files(t.path), 4u);
}

TEST(PeersCache, LoadsOnAThreadRemovesBadAndExtraFiles) {
  TempDir t;
  {
    PeersCache w(t.path, 1000);
    w.save([&](const PeersCache::Visit& v) {
      for (uint64_t a = 1; a <= 50; ++a) v(synthetic(0x3000000000ull + a), "10.0.0.1/9993");
    });
  }
  // Garbage, an oversized file, and a file under the wrong name.
  std::ofstream(t.path + "/3000000099.peer") << "not an identity\n";
  std::ofstream(t.path + "/3000000098.peer") << std::string(PeersCache::kMaxFileBytes + 1, 'x');
  fs::copy_file(t.path + "/3000000001.peer", t.path + "/3000000097.peer");
  // A cache from before the files were private.
  ::chmod((t.path + "/3000000002.peer").c_str(), 0644);
  PeersCache c(t.path, 40);  // fewer than the good files
  c.start_load();
  std::vector<CachedPeer> got;
  drain(c, got);
  EXPECT_FALSE(c.loading());
  const PeersCache::LoadStats st = c.load_stats();
  // Directory order decides which files fall beyond the bound, and a bad
  // file there is counted as over.
  EXPECT_EQ(st.bad + st.over, 13u);
  EXPECT_GE(st.over, 10u);
  EXPECT_EQ(got.size(), 40u);
  EXPECT_EQ(st.loaded, 40u);
  EXPECT_EQ(count_files(t.path), 40u);  // bad and extra files removed
  for (auto& e : fs::directory_iterator(t.path)) {
    struct stat st;
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
  }
  for (const CachedPeer& p : got) {
    EXPECT_FALSE(p.identity.has_private());
    EXPECT_EQ(p.path.to_string(), "10.0.0.1/9993");
  }
  // Taken peers the caller did not keep are removed by the next save.
  c.save([&](const PeersCache::Visit& v) {
    for (size_t i = 0; i < 30; ++i) v(got[i].identity, "10.0.0.1/9993");
  });
  EXPECT_EQ(count_files(t.path), 30u);
}

TEST(PeersCache, ManyChangedPeersAreWrittenInCappedSlices) {
  TempDir t;
  PeersCache c(t.path, 10000);
  std::vector<crypto::Identity> ids;
  for (uint64_t a = 1; a <= 5000; ++a) ids.push_back(synthetic(0x5000000000ull + a));
  auto visit_all = [&](size_t n, const std::string& path) {
    return [&, n, path](const PeersCache::Visit& v) {
      for (size_t i = 0; i < n; ++i) v(ids[i], path);
    };
  };
  size_t calls = 0, written = 0;
  for (; calls < 100; ++calls) {
    const PeersCache::SaveStats s = c.save(visit_all(5000, "10.0.0.1/9993"));
    EXPECT_LE(s.written + s.removed + s.failed, PeersCache::kMaxOpsPerSave);
    written += s.written;
    if (!s.deferred) break;
  }
  EXPECT_GE(calls, 5000 / PeersCache::kMaxOpsPerSave);  // several calls, not one
  EXPECT_EQ(written, 5000u);
  EXPECT_EQ(count_files(t.path), 5000u);
  EXPECT_EQ(c.save(visit_all(5000, "10.0.0.1/9993")).written, 0u);
  // 4,000 leave: removals are capped the same way, and all happen.
  size_t removed = 0;
  for (calls = 0; calls < 100; ++calls) {
    const PeersCache::SaveStats s = c.save(visit_all(1000, "10.0.0.1/9993"));
    EXPECT_LE(s.written + s.removed + s.failed, PeersCache::kMaxOpsPerSave);
    removed += s.removed;
    if (!s.deferred) break;
  }
  EXPECT_EQ(removed, 4000u);
  EXPECT_EQ(count_files(t.path), 1000u);
}

TEST(PeersCache, FileBoundHoldsWhileRemovalsAreDeferred) {
  TempDir t;
  PeersCache c(t.path, 100);
  std::vector<crypto::Identity> ids;
  for (uint64_t a = 1; a <= 200; ++a) ids.push_back(synthetic(0x6000000000ull + a));
  auto visit_range = [&](size_t from, size_t to) {
    return [&, from, to](const PeersCache::Visit& v) {
      for (size_t i = from; i < to; ++i) v(ids[i], "10.0.0.1/9993");
    };
  };
  for (int i = 0; i < 10 && c.save(visit_range(0, 100), 30).deferred; ++i) {
  }
  EXPECT_EQ(count_files(t.path), 100u);
  // The table is replaced by 100 others: never more than 100 files.
  for (int i = 0; i < 20; ++i) {
    const PeersCache::SaveStats s = c.save(visit_range(100, 200), 30);
    EXPECT_LE(count_files(t.path), 100u);
    if (!s.deferred) break;
  }
  EXPECT_EQ(count_files(t.path), 100u);
  EXPECT_TRUE(fs::exists(t.path + "/" + ids[150].address_string() + ".peer"));
  EXPECT_FALSE(fs::exists(t.path + "/" + ids[50].address_string() + ".peer"));
}

TEST(PeersCache, ReadErrorsKeepTheFiles) {
  TempDir t;
  {
    PeersCache w(t.path, 1000);
    w.save([&](const PeersCache::Visit& v) {
      for (uint64_t a = 1; a <= 20; ++a) v(synthetic(0x7000000000ull + a), "10.0.0.1/9993");
    });
  }
  ASSERT_EQ(count_files(t.path), 20u);
  // Out of descriptors (EMFILE): the loader can open the directory and no
  // file. The lowest free descriptor is the only one under the limit.
  const int lowest = ::dup(0);
  ASSERT_GE(lowest, 0);
  ::close(lowest);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = rlim_t(lowest) + 1;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  PeersCache::LoadStats st;
  std::vector<CachedPeer> got;
  {
    PeersCache c(t.path, 1000);
    c.start_load();
    drain(c, got);
    st = c.load_stats();
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  EXPECT_EQ(st.errors, 20u);
  EXPECT_EQ(st.bad, 0u);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(count_files(t.path), 20u);  // kept: the next start reads them
  PeersCache again(t.path, 1000);
  again.start_load();
  drain(again, got);
  EXPECT_EQ(got.size(), 20u);
  EXPECT_EQ(again.load_stats().errors, 0u);
}

TEST(PeersCache, NoDirectoryLoadsNothing) {
  TempDir t;
  PeersCache c(t.path + "/absent", 10);
  c.start_load();
  std::vector<CachedPeer> got;
  drain(c, got);
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(c.loading());
}

}  // namespace
}  // namespace flatnet::control::service
