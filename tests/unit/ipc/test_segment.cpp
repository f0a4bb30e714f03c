// The segment through its real code paths: creation, attach checks, punt and
// event round trips between threads, restart and crash recovery.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/ipc/client.hpp"
#include "dataplane/ipc/clock.hpp"
#include "dataplane/ipc/segment.hpp"
#include "dataplane/ipc/service.hpp"
#include "tests/unit/ipc/test_util.hpp"

using namespace flatnet::ipc;
using flatnet::test::ipc_unique_instance;

namespace {

ServiceParams small_params(const std::string& inst, uint32_t workers = 1) {
  ServiceParams p;
  p.instance = inst;
  p.workers = workers;
  p.punt_slots = 64;
  p.inject_slots = 32;
  p.event_ring = 128;
  p.command_ring = 128;
  p.slot_data = 2048;
  return p;
}

using flatnet::ipc::mono_ns;

// The main lcore's control tracking (the part of poll_main the table-free
// tests here need): it notices the attached control and starts its session.
void notice_control(Service& s) { s.track_control(mono_ns()); }

// Stand in for a data plane behind a segment file: hold its lock.
int hold_dp_lock(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR);
  if (fd >= 0 && !seg::dp_lock_take(fd)) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST(IpcSegment, CreatedPrivateWithHeader) {
  std::string err;
  ServiceParams sp = small_params(ipc_unique_instance("hdr"));
  sp.udp_port = 9993;
  sp.secondary_port = 41234;
  auto s = Service::create(sp, &err);
  ASSERT_TRUE(s) << err;
  struct stat st{};
  ASSERT_EQ(stat(s->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const flatnet_ipc_header& h = s->header();
  EXPECT_EQ(h.magic, FLATNET_IPC_MAGIC);
  EXPECT_EQ(h.abi_version, FLATNET_IPC_ABI_VERSION);
  EXPECT_EQ(h.state, uint32_t(FLATNET_IPC_STATE_READY));
  EXPECT_EQ(h.n_channels, 2u);
  EXPECT_EQ(h.segment_size, uint64_t(st.st_size));
  EXPECT_EQ(h.dp_pid, uint32_t(getpid()));
  EXPECT_NE(h.generation, 0u);
  EXPECT_EQ(h.udp_port, 9993) << "the data plane's ports, for control's /status";
  EXPECT_EQ(h.secondary_port, 41234);
  std::string err2;
  auto c = Client::attach(s->path(), &err2);
  ASSERT_TRUE(c) << err2;
  EXPECT_EQ(c->header().secondary_port, 41234) << "what control sees";
  c.reset();
  std::string path = s->path();
  s.reset();
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "segment must be unlinked at exit";
}

TEST(IpcSegment, GenerationChangesOnRestart) {
  std::string inst = ipc_unique_instance("gen"), err;
  auto s1 = Service::create(small_params(inst), &err);
  ASSERT_TRUE(s1) << err;
  auto c = Client::attach(s1->path(), &err);
  ASSERT_TRUE(c) << err;
  uint64_t g1 = c->generation();
  EXPECT_TRUE(c->dataplane_alive());
  s1.reset();  // data plane stops
  EXPECT_FALSE(c->dataplane_alive());
  auto s2 = Service::create(small_params(inst), &err);
  ASSERT_TRUE(s2) << err;
  EXPECT_FALSE(c->dataplane_alive()) << "old mapping must not look alive";
  c.reset();
  auto c2 = Client::attach(s2->path(), &err);
  ASSERT_TRUE(c2) << err;
  EXPECT_NE(c2->generation(), g1);
}

TEST(IpcSegment, VersionMismatchRefusedClearly) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("ver")), &err);
  ASSERT_TRUE(s) << err;
  // Rewrite the version as a future data plane would have it.
  int fd = open(s->path().c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint32_t v = FLATNET_IPC_ABI_VERSION + 1;
  ASSERT_EQ(pwrite(fd, &v, sizeof v, offsetof(flatnet_ipc_header, abi_version)), ssize_t(sizeof v));
  close(fd);
  auto c = Client::attach(s->path(), &err);
  EXPECT_FALSE(c);
  EXPECT_NE(err.find("ABI version mismatch"), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(FLATNET_IPC_ABI_VERSION + 1)), std::string::npos) << err;
}

TEST(IpcSegment, BadMagicAndMissingRefused) {
  std::string err;
  EXPECT_FALSE(Client::attach("/dev/shm/flatnet-does-not-exist.ipc", &err));
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
  std::string path = "/dev/shm/" + ipc_unique_instance("junk");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> junk(8192, 0xab);
  ASSERT_EQ(write(fd, junk.data(), junk.size()), ssize_t(junk.size()));
  close(fd);
  EXPECT_FALSE(Client::attach(path, &err));
  EXPECT_NE(err.find("bad magic"), std::string::npos) << err;
  unlink(path.c_str());
}

TEST(IpcSegment, SecondControlRefused) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("two")), &err);
  ASSERT_TRUE(s) << err;
  auto c1 = Client::attach(s->path(), &err);
  ASSERT_TRUE(c1) << err;
  EXPECT_EQ(s->header().control.control_pid, uint32_t(getpid()));
  auto c2 = Client::attach(s->path(), &err);
  EXPECT_FALSE(c2);
  EXPECT_NE(err.find("another control"), std::string::npos) << err;
  c1.reset();
  EXPECT_EQ(s->header().control.control_pid, 0u);
  auto c3 = Client::attach(s->path(), &err);
  EXPECT_TRUE(c3) << err;
}

TEST(IpcSegment, NoControlMeansCountedNotQueued) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("noctl")), &err);
  ASSERT_TRUE(s) << err;
  uint8_t pkt[100] = {1, 2, 3};
  flatnet_ipc_event ev{};
  ev.type = FLATNET_IPC_EV_UNKNOWN_DEST;
  for (int i = 0; i < 1000; ++i) {  // far more than the rings hold
    EXPECT_FALSE(s->punt(0, pkt, sizeof pkt, PuntMeta{}));
    EXPECT_FALSE(s->event(0, ev));
  }
  EXPECT_EQ(s->header().channel_counters[0].punt_no_control, 1000u);
  EXPECT_EQ(s->header().channel_counters[0].event_no_control, 1000u);
  // A control that attaches now finds nothing queued.
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  EXPECT_TRUE(s->event(0, ev));
  unsigned events = 0;
  c->poll_events([&](const flatnet_ipc_event&) { ++events; });
  EXPECT_EQ(events, 1u) << "nothing may be queued without a control";
  EXPECT_EQ(c->poll_punts([](auto&, auto, auto) {}, 1000), 0u);
}

TEST(IpcSegment, FullRingsCountDrops) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("full")), &err);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  uint8_t pkt[64] = {};
  int ok = 0;
  for (int i = 0; i < 100; ++i) ok += s->punt(0, pkt, sizeof pkt, PuntMeta{});
  EXPECT_EQ(ok, 64);  // punt_slots
  EXPECT_EQ(s->header().channel_counters[0].punt_no_slot, 36u);
  std::vector<uint8_t> big(4096);
  EXPECT_FALSE(s->punt(0, big.data(), uint32_t(big.size()), PuntMeta{}));
  EXPECT_EQ(s->header().channel_counters[0].punt_too_big, 1u);
  flatnet_ipc_event ev{};
  int eok = 0;
  for (int i = 0; i < 200; ++i) eok += s->event(0, ev);
  EXPECT_EQ(eok, 128) << "every entry of our ring is usable";
  EXPECT_EQ(s->header().channel_counters[0].event_ring_full, 72u);
  // Draining frees slots again.
  EXPECT_EQ(c->poll_punts([](auto&, auto, auto) {}, 1000), 64u);
  EXPECT_TRUE(s->punt(0, pkt, sizeof pkt, PuntMeta{}));
}

// Worker thread punts numbered packets; the control thread checks every
// byte and the order. Bounded in count and time.
TEST(IpcSegment, PuntRoundTripBetweenThreads) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("thr"), 2), &err);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  constexpr uint32_t kN = 20000;
  std::atomic<bool> stop{false};
  auto producer = [&](unsigned ch) {
    uint8_t pkt[1500];
    for (uint32_t i = 0; i < kN && !stop;) {
      uint32_t len = 28 + (i * 37) % 1400;
      for (uint32_t b = 0; b < len; ++b) pkt[b] = uint8_t(i + b + ch);
      memcpy(pkt, &i, 4);
      PuntMeta m;
      m.src.family = FLATNET_IPC_AF_INET;
      m.src.udp_port = uint16_t(9993 + ch);
      m.time_ns = i;
      if (s->punt(ch, pkt, len, m)) ++i;
      else std::this_thread::yield();  // slots all queued: wait for control
    }
  };
  std::thread w0(producer, 0), w1(producer, 1);
  uint32_t next[2] = {0, 0};
  uint64_t bad = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((next[0] < kN || next[1] < kN) && std::chrono::steady_clock::now() < deadline) {
    c->poll_punts([&](const flatnet_ipc_slot_meta& m, const uint8_t* d, uint32_t len) {
      unsigned ch = m.addr.udp_port - 9993;
      uint32_t i;
      memcpy(&i, d, 4);
      if (ch > 1 || i != next[ch] || len != 28 + (i * 37) % 1400 || m.time_ns != i) { ++bad; return; }
      for (uint32_t b = 4; b < len; ++b)
        if (d[b] != uint8_t(i + b + ch)) { ++bad; return; }
      ++next[ch];
    }, 64);
  }
  stop = true;
  w0.join();
  w1.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(next[0], kN);
  EXPECT_EQ(next[1], kN);
  EXPECT_EQ(s->header().channel_counters[0].punt_ok, kN);
}

TEST(IpcSegment, EventRoundTripBetweenThreads) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("evt")), &err);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  constexpr uint32_t kN = 50000;
  std::thread w([&] {
    for (uint32_t i = 0; i < kN;) {
      flatnet_ipc_event e{};
      e.type = FLATNET_IPC_EV_RELAY_PAIR;
      e.seq = i;
      e.addr = 0x1000000000ull + i;
      e.addr2 = ~uint64_t(i);
      if (s->event(0, e)) ++i;
      else std::this_thread::yield();
    }
  });
  uint32_t next = 0, bad = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (next < kN && std::chrono::steady_clock::now() < deadline)
    c->poll_events([&](const flatnet_ipc_event& e) {
      if (e.seq != next || e.addr != 0x1000000000ull + next || e.addr2 != ~uint64_t(next) ||
          e.channel != 0)
        ++bad;
      ++next;
    });
  w.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(next, kN);
}

// A control that dies holding slots: the next one starts a session in which
// every slot is free again and none of the old punts shows up.
TEST(IpcSegment, CrashedControlSlotsRecovered) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("crash")), &err);
  ASSERT_TRUE(s) << err;
  uint8_t pkt[64] = {};
  int to_parent[2], to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Attach, let the parent punt 64 packets, take 10 and die inside the
    // callback of the 10th, before that slot goes back.
    std::string e;
    auto c = Client::attach(s->path(), &e);
    char b = c ? 'a' : 'x';
    if (write(to_parent[1], &b, 1) != 1 || !c) _exit(2);
    if (read(to_child[0], &b, 1) != 1) _exit(4);
    int seen = 0;
    c->poll_punts([&](auto&, auto, auto) {
      if (++seen == 10) _exit(0);
    }, 64);
    _exit(3);
  }
  char b = 0;
  ASSERT_EQ(read(to_parent[0], &b, 1), 1);
  ASSERT_EQ(b, 'a');
  notice_control(*s);
  ASSERT_TRUE(s->control_present());
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(s->punt(0, pkt, sizeof pkt, PuntMeta{}));
  ASSERT_EQ(write(to_child[1], &b, 1), 1);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  unsigned used = 0, slots = 0;
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));
  EXPECT_EQ(used, 55u) << "9 slots went back before the death";
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  std::this_thread::sleep_for(std::chrono::milliseconds(110));  // sessions start >= 100 ms apart
  notice_control(*s);
  EXPECT_EQ(c->poll_punts([](auto&, auto, auto) {}, 1000), 0u) << "stale punts are not delivered";
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));
  EXPECT_EQ(used, 0u) << "the new session starts with every slot free";
  int ok = 0;
  for (int i = 0; i < 100; ++i) ok += s->punt(0, pkt, sizeof pkt, PuntMeta{});
  EXPECT_EQ(ok, 64) << "every slot must be usable again";
  EXPECT_EQ(c->poll_punts([](auto&, auto, auto) {}, 1000), 64u);
}

// The fuzz seeds, as files a control might find: the valid one attaches
// (so the fuzzer starts deep), each corrupt one is refused for its reason.
TEST(IpcSegment, CorruptSegmentsRefused) {
  const char* dir = getenv("IPC_CORPUS");
  ASSERT_NE(dir, nullptr) << "meson sets IPC_CORPUS";
  struct Case {
    const char* file;
    const char* expect;  // nullptr: attaches
  } cases[] = {
      {"valid-minimal.bin", nullptr},
      {"bad-version.bin", "ABI version mismatch"},
      {"truncated.bin", "segment size in header differs"},
      {"punt-ring-offset-out.bin", "bad layout of channel 0"},
      {"stats-block-out.bin", "bad counters block: block reaches past the file"},
  };
  for (const Case& k : cases) {
    std::ifstream in(std::string(dir) + "/" + k.file, std::ios::binary);
    ASSERT_TRUE(in) << k.file;
    std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GE(b.size(), sizeof(flatnet_ipc_header)) << k.file;
    std::string path = "/dev/shm/" + ipc_unique_instance("corpus");
    {
      int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(write(fd, b.data(), b.size()), ssize_t(b.size()));
      close(fd);
    }
    int lock = hold_dp_lock(path);  // the seed's data plane, as far as the client can tell
    ASSERT_GE(lock, 0);
    std::string err;
    auto c = Client::attach(path, &err);
    if (k.expect == nullptr) {
      EXPECT_TRUE(c) << k.file << ": " << err;
    } else {
      EXPECT_FALSE(c) << k.file;
      EXPECT_NE(err.find(k.expect), std::string::npos) << k.file << ": " << err;
    }
    c.reset();
    close(lock);
    unlink(path.c_str());
  }
}

// Only a segment of our own user's data plane: a regular file (no link
// followed), ours, mode 0600, held by a running data plane.
TEST(IpcSegment, ForeignFilesRefused) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("foreign")), &err);
  ASSERT_TRUE(s) << err;
  std::string link = "/dev/shm/" + ipc_unique_instance("link");
  ASSERT_EQ(symlink(s->path().c_str(), link.c_str()), 0);
  EXPECT_FALSE(Client::attach(link, &err));
  EXPECT_NE(err.find("symbolic link"), std::string::npos) << err;
  EXPECT_FALSE(Observer::open(link, &err));
  unlink(link.c_str());

  ASSERT_EQ(chmod(s->path().c_str(), 0644), 0);
  EXPECT_FALSE(Client::attach(s->path(), &err));
  EXPECT_NE(err.find("mode 0644, not 0600"), std::string::npos) << err;
  ASSERT_EQ(chmod(s->path().c_str(), 0600), 0);

  if (geteuid() == 0) {  // only root can give a file away
    ASSERT_EQ(chown(s->path().c_str(), 65534, 65534), 0);
    EXPECT_FALSE(Client::attach(s->path(), &err));
    EXPECT_NE(err.find("owned by uid 65534"), std::string::npos) << err;
    ASSERT_EQ(chown(s->path().c_str(), 0, 0), 0);
  }
  auto c = Client::attach(s->path(), &err);
  EXPECT_TRUE(c) << err;
}

// A segment file whose header names a live pid (our own: pid reuse, or a
// planted file) but that no data plane holds: the client calls it stale and
// a new data plane starts over it.
TEST(IpcSegment, StaleFileWithLivePidDoesNotBlockStart) {
  std::string inst = ipc_unique_instance("stale"), err;
  std::string path;
  std::vector<char> image;
  {
    auto s = Service::create(small_params(inst), &err);
    ASSERT_TRUE(s) << err;
    path = s->path();
    image.assign(reinterpret_cast<const char*>(s->memory()),
                 reinterpret_cast<const char*>(s->memory()) + s->memory_size());
  }
  ASSERT_NE(access(path.c_str(), F_OK), 0);
  // The image still says READY and names this (live) process as its data plane.
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, image.data(), image.size()), ssize_t(image.size()));
  close(fd);
  EXPECT_FALSE(Client::attach(path, &err));
  EXPECT_NE(err.find("no running data plane holds it"), std::string::npos) << err;
  auto s2 = Service::create(small_params(inst), &err);
  ASSERT_TRUE(s2) << "a stale file must not stop the data plane: " << err;
  // ... while a running one still does.
  auto s3 = Service::create(small_params(inst), &err);
  EXPECT_FALSE(s3);
  EXPECT_NE(err.find("belongs to a running data plane"), std::string::npos) << err;
  auto c = Client::attach(path, &err);
  EXPECT_TRUE(c) << err;
}

// Runs fn on a thread, bounded: something that would hang on the segment's
// name fails the test instead of hanging it. On timeout `unblock` releases
// the stuck open (it opens the FIFO's other end). False = it hung.
bool bounded(const std::function<void()>& fn, const std::function<void()>& unblock) {
  std::atomic<bool> done{false};
  std::thread t([&] {
    fn();
    done = true;
  });
  for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const bool hung = !done;
  for (int i = 0; i < 100 && !done; ++i) {
    unblock();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  t.join();
  return !hung;
}

std::unique_ptr<Service> create_bounded(const ServiceParams& p, std::string* err,
                                        const std::function<void()>& unblock) {
  std::unique_ptr<Service> s;
  if (!bounded([&] { s = Service::create(p, err); }, unblock)) {
    *err = "Service::create hung";
    s.reset();
  }
  return s;
}

// A FIFO planted at the segment's name neither hangs a control's attach or
// an observer's open nor the data plane's start.
TEST(IpcSegment, FifoAtSegmentPathDoesNotHangStart) {
  std::string inst = ipc_unique_instance("fifo"), err;
  const std::string path = std::string(FLATNET_IPC_PATH_PREFIX) + inst + ".ipc";
  unlink(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0) << strerror(errno);
  auto release = [&] {
    int w = open(path.c_str(), O_RDWR | O_NONBLOCK);
    if (w >= 0) close(w);
  };
  bool attached = true, observed = true;
  EXPECT_TRUE(bounded([&] { attached = bool(Client::attach(path, &err)); }, release)) << "attach hung";
  EXPECT_FALSE(attached);
  EXPECT_TRUE(bounded([&] { observed = bool(Observer::open(path, &err)); }, release)) << "open hung";
  EXPECT_FALSE(observed);
  auto s = create_bounded(small_params(inst), &err, release);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  EXPECT_TRUE(c) << err;
  unlink(path.c_str());
}

// A 0644 file of another user at the segment's name, with a lock held on
// byte 0 as a data plane would: its lock means nothing, and (as root, who
// may remove it from sticky /dev/shm) the data plane starts over it.
TEST(IpcSegment, ForeignLockedFileDoesNotBlockStart) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  std::string inst = ipc_unique_instance("planted"), err;
  const std::string path = std::string(FLATNET_IPC_PATH_PREFIX) + inst + ".ipc";
  unlink(path.c_str());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fchmod(fd, 0644), 0);
  ASSERT_EQ(fchown(fd, 65534, 65534), 0);
  ASSERT_TRUE(seg::dp_lock_take(fd));
  auto s = create_bounded(small_params(inst), &err, [] {});
  EXPECT_TRUE(s) << "a planted file must not stop the data plane: " << err;
  close(fd);
  if (!s) unlink(path.c_str());
}

// A control that hands a punt slot back twice, or one that does not exist:
// counted (slot_bad), ignored, and the slot is not used twice.
TEST(IpcSegment, SlotReturnedTwiceOrUnknownCounted) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("twice")), &err);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  uint8_t pkt[64] = {};
  ASSERT_TRUE(s->punt(0, pkt, sizeof pkt, PuntMeta{}));
  ASSERT_TRUE(s->punt(0, pkt, sizeof pkt, PuntMeta{}));
  std::vector<uint32_t> lens;
  ASSERT_EQ(c->poll_punts([&](auto&, auto, uint32_t len) { lens.push_back(len); }), 2u);
  unsigned used = 0, slots = 0;
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));
  ASSERT_EQ(used, 0u);
  // Now play a lying control on channel 0's punt_free ring directly: slot 0
  // (already back) again, and slot 1000 (there are 64).
  const flatnet_ipc_ring_ref r = s->header().channels[0].punt_free;
  auto* st = reinterpret_cast<flatnet_ipc_ring_state*>(s->memory() + r.offset);
  uint32_t prod = __atomic_load_n(&st->prod, __ATOMIC_RELAXED);
  ASSERT_EQ(prod, 2u);
  auto* entries = reinterpret_cast<uint32_t*>(s->memory() + r.offset + FLATNET_IPC_RING_STATE_SIZE);
  entries[prod++ & (r.count - 1)] = 0;
  entries[prod++ & (r.count - 1)] = 1000;
  __atomic_store_n(&st->prod, prod, __ATOMIC_RELEASE);
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(s->header().channel_trust[0].slot_bad, 2u);
  EXPECT_EQ(s->header().channel_trust[0].ring_corrupt, 0u) << "bad indices are not a broken ring";
  // Every slot is still used exactly once: 64 punts fit, the 65th does not.
  int ok = 0;
  for (int i = 0; i < 65; ++i) ok += s->punt(0, pkt, sizeof pkt, PuntMeta{});
  EXPECT_EQ(ok, 64);
  // An impossible counter is a broken ring: counted, and the control dropped.
  __atomic_store_n(&st->prod, prod + 1000, __ATOMIC_RELEASE);
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));
  EXPECT_EQ(s->header().channel_trust[0].ring_corrupt, 1u);
  notice_control(*s);
  EXPECT_FALSE(s->control_present());
  EXPECT_EQ(s->header().controls_dropped, 1u);
  EXPECT_FALSE(s->punt(0, pkt, sizeof pkt, PuntMeta{}));
}

// A control that corrupts a ring and rewrites attach_epoch in the same
// breath is still counted (ring_corrupt, controls_dropped), and however
// often it rewrites the epoch it gets at most one new session per 100 ms.
TEST(IpcSegment, EpochRewriteNeitherHidesCorruptionNorForcesAccepts) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("rewrite")), &err);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  const uint64_t t0 = mono_ns();
  s->track_control(t0);
  ASSERT_TRUE(s->control_present());
  unsigned used = 0, slots = 0;
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));  // channel 0 set up for the session
  auto* hdr = reinterpret_cast<flatnet_ipc_header*>(s->memory());
  EXPECT_EQ(hdr->main_counters.control_attaches, 1u);
  const flatnet_ipc_ring_ref r = s->header().channels[0].punt_free;
  auto* st = reinterpret_cast<flatnet_ipc_ring_state*>(s->memory() + r.offset);
  __atomic_store_n(&st->prod, 5000u, __ATOMIC_RELEASE);                   // impossible
  __atomic_store_n(&hdr->control.attach_epoch, 0x1234567u, __ATOMIC_RELEASE);  // and hide
  ASSERT_TRUE(s->punt_fill(0, &used, &slots));
  EXPECT_EQ(s->header().channel_trust[0].ring_corrupt, 1u);
  s->track_control(t0 + 1'000'000);
  EXPECT_EQ(s->header().controls_dropped, 1u);
  // New epochs on every poll: no new session within 100 ms of the last.
  for (uint32_t i = 1; i <= 20; ++i) {
    __atomic_store_n(&hdr->control.attach_epoch, 0x1234567u + i, __ATOMIC_RELEASE);
    s->track_control(t0 + 2'000'000 + i * 1'000'000);
  }
  EXPECT_EQ(hdr->main_counters.control_attaches, 1u);
  s->track_control(t0 + 150'000'000);
  EXPECT_EQ(hdr->main_counters.control_attaches, 2u);
}

// Control liveness is the control's lock on byte 1, not its pid: a control
// line naming a live pid (ours: pid reuse, or a pid from another namespace)
// without the lock starts no session; a real attach (which takes it) does.
TEST(IpcSegment, ControlLivenessIsItsLockNotItsPid) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("ctllock")), &err);
  ASSERT_TRUE(s) << err;
  auto* hdr = reinterpret_cast<flatnet_ipc_header*>(s->memory());
  __atomic_store_n(&hdr->control.control_pid, uint32_t(getpid()), __ATOMIC_RELAXED);
  __atomic_store_n(&hdr->control.attach_epoch, 4242u, __ATOMIC_RELEASE);
  notice_control(*s);
  EXPECT_FALSE(s->control_present()) << "a live pid without the control lock";
  EXPECT_EQ(hdr->accepted_epoch, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(25));  // past the presence interval
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  EXPECT_TRUE(s->control_present());
  EXPECT_EQ(hdr->accepted_epoch, hdr->control.attach_epoch) << "the data plane names whom it serves";
  EXPECT_FALSE(c->session_lost());
}

// A client whose epoch the data plane does not name (it serves another, or
// none) calls its session lost after the grace; then a fresh attach works.
TEST(IpcSegment, SessionLostWhenNotServed) {
  std::string err;
  auto s = Service::create(small_params(ipc_unique_instance("lost")), &err);
  ASSERT_TRUE(s) << err;
  auto c = Client::attach(s->path(), &err);
  ASSERT_TRUE(c) << err;
  notice_control(*s);
  ASSERT_TRUE(c->session_ready());
  EXPECT_FALSE(c->session_lost());
  auto* hdr = reinterpret_cast<flatnet_ipc_header*>(s->memory());
  __atomic_store_n(&hdr->accepted_epoch, 7u, __ATOMIC_RELEASE);  // the data plane serves another
  EXPECT_FALSE(c->session_lost()) << "not before the grace";
  std::this_thread::sleep_for(std::chrono::nanoseconds(Client::kSessionGraceNs + 100'000'000));
  EXPECT_TRUE(c->session_lost());
}
