// The counters block (abi.h, docs/ipc-abi.md "The counters block").
//
// Every access to the block is a relaxed atomic load or store of an aligned
// 8-byte word (names included), ordered by the seqlock's release/acquire on
// seq: the reader never races in the C++ sense and never trusts what it read
// until the two seq reads agree and the copy has been validated.
#include "dataplane/ipc/stats_block.hpp"

#include <time.h>

#include <cstring>
#include <thread>
#include <unordered_set>

namespace flatnet::ipc::stats {

namespace {

constexpr uint32_t kMaxColumns = FLATNET_IPC_MAX_CHANNELS + 1;
constexpr size_t kNameWords = FLATNET_IPC_STATS_NAME_SIZE / 8;

uint64_t names_offset() { return kHeadSize; }
uint64_t values_offset(uint32_t max_entries) {
  return kHeadSize + uint64_t(max_entries) * FLATNET_IPC_STATS_NAME_SIZE;
}

uint64_t load(const uint64_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
void store(uint64_t* p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

const uint64_t* word_at(const uint8_t* block, uint64_t off) {
  return reinterpret_cast<const uint64_t*>(block + off);
}
uint64_t* word_at(uint8_t* block, uint64_t off) { return reinterpret_cast<uint64_t*>(block + off); }

// Shape checks every function repeats before touching the block.
const char* shape_error(const flatnet_ipc_stats_desc& d) {
  if (d.name_size != FLATNET_IPC_STATS_NAME_SIZE) return "name size differs from this build's";
  if (d.max_entries == 0 || d.max_entries > FLATNET_IPC_STATS_MAX_ENTRIES)
    return "max_entries out of range";
  if (d.columns < 2 || d.columns > kMaxColumns) return "column count out of range";
  return nullptr;
}

// The seqlock's two halves (writer side).
uint64_t write_begin(uint8_t* block) {
  auto* h = reinterpret_cast<flatnet_ipc_stats_head*>(block);
  uint64_t s = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
  if (s & 1) ++s;  // a previous writer died inside; start from even
  __atomic_store_n(&h->seq, s + 1, __ATOMIC_RELAXED);
  // The odd seq must be visible before any of the stores that follow.
  __atomic_thread_fence(__ATOMIC_RELEASE);
  return s + 2;
}
void write_end(uint8_t* block, uint64_t next) {
  auto* h = reinterpret_cast<flatnet_ipc_stats_head*>(block);
  __atomic_store_n(&h->seq, next, __ATOMIC_RELEASE);
}

void back_off(unsigned attempt) {
  if (attempt < 8) {
    std::this_thread::yield();
    return;
  }
  timespec ts{0, 50 * 1000};
  nanosleep(&ts, nullptr);
}

}  // namespace

uint64_t block_bytes(uint32_t max_entries, uint32_t columns) {
  if (max_entries > FLATNET_IPC_STATS_MAX_ENTRIES || columns > kMaxColumns) return UINT64_MAX;
  uint64_t b = values_offset(max_entries) + uint64_t(max_entries) * columns * sizeof(uint64_t);
  return (b + 63) & ~uint64_t(63);
}

bool legal_name(const char* s, size_t n) {
  if (n == 0 || n >= FLATNET_IPC_STATS_NAME_SIZE || (s[0] >= '0' && s[0] <= '9')) return false;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string check_desc(const flatnet_ipc_stats_desc& d, uint32_t n_channels, uint64_t seg_size) {
  if (const char* e = shape_error(d)) return e;
  if (d.columns != n_channels + 1) return "column count is not 1 + the channel count";
  if (d.offset < FLATNET_IPC_HEADER_SIZE || d.offset % FLATNET_IPC_CACHE_LINE)
    return "offset is inside the header or unaligned";
  if (d.size < block_bytes(d.max_entries, d.columns)) return "size too small for its entries";
  if (d.size > seg_size || d.offset > seg_size - d.size) return "block reaches past the file";
  return "";
}

bool define(uint8_t* block, const flatnet_ipc_stats_desc& d, const std::vector<std::string>& names,
            std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = m;
    return false;
  };
  if (const char* e = shape_error(d)) return fail(std::string("counters block: ") + e);
  if (names.size() > d.max_entries)
    return fail("counters block: " + std::to_string(names.size()) + " names, room for " +
                std::to_string(d.max_entries));
  std::unordered_set<std::string> seen;
  for (const std::string& n : names) {
    if (!legal_name(n.data(), n.size()))
      return fail("counters block: name '" + n + "' is not 1.." +
                  std::to_string(FLATNET_IPC_STATS_NAME_SIZE - 1) + " of [a-z0-9_]");
    if (!seen.insert(n).second) return fail("counters block: name '" + n + "' given twice");
  }
  const uint64_t next = write_begin(block);
  for (uint32_t i = 0; i < d.max_entries; ++i) {
    uint64_t w[kNameWords] = {};
    if (i < names.size()) std::memcpy(w, names[i].data(), names[i].size());
    uint64_t* dst = word_at(block, names_offset() + uint64_t(i) * FLATNET_IPC_STATS_NAME_SIZE);
    for (size_t k = 0; k < kNameWords; ++k) store(dst + k, w[k]);
  }
  uint64_t* v = word_at(block, values_offset(d.max_entries));
  for (uint64_t k = 0; k < uint64_t(d.max_entries) * d.columns; ++k) store(v + k, 0);
  auto* h = reinterpret_cast<flatnet_ipc_stats_head*>(block);
  __atomic_store_n(&h->n_entries, uint32_t(names.size()), __ATOMIC_RELAXED);
  write_end(block, next);
  return true;
}

void publish(uint8_t* block, const flatnet_ipc_stats_desc& d, const uint64_t* rows,
             uint32_t n_entries, uint64_t now_ns) {
  if (shape_error(d) || n_entries > d.max_entries) return;
  const uint64_t next = write_begin(block);
  uint64_t* v = word_at(block, values_offset(d.max_entries));
  for (uint64_t k = 0; k < uint64_t(n_entries) * d.columns; ++k) store(v + k, rows[k]);
  auto* h = reinterpret_cast<flatnet_ipc_stats_head*>(block);
  store(&h->updated_ns, now_ns);
  write_end(block, next);
}

bool read(const uint8_t* block, size_t block_len, const flatnet_ipc_stats_desc& d,
          CounterSnapshot* out, std::string* err, unsigned max_tries) {
  auto fail = [&](const std::string& m) {
    if (err) *err = "counters block: " + m;
    return false;
  };
  if (const char* e = shape_error(d)) return fail(e);
  if (block_bytes(d.max_entries, d.columns) > block_len) return fail("larger than its memory");
  if (reinterpret_cast<uintptr_t>(block) % 8) return fail("unaligned");
  const auto* h = reinterpret_cast<const flatnet_ipc_stats_head*>(block);
  const uint32_t cols = d.columns;
  std::vector<uint64_t> names(size_t(d.max_entries) * kNameWords);
  std::vector<uint64_t> values(size_t(d.max_entries) * cols);
  for (unsigned attempt = 0; attempt < max_tries; ++attempt) {
    if (attempt) back_off(attempt);
    const uint64_t s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
    if (s1 & 1) continue;  // mid-write
    const uint32_t n = __atomic_load_n(&h->n_entries, __ATOMIC_RELAXED);
    const uint64_t updated = __atomic_load_n(&h->updated_ns, __ATOMIC_RELAXED);
    // Copy at most what the block can hold, whatever n says.
    const uint32_t m = n < d.max_entries ? n : d.max_entries;
    const uint64_t* src = word_at(block, names_offset());
    for (size_t k = 0; k < size_t(m) * kNameWords; ++k) names[k] = load(src + k);
    src = word_at(block, values_offset(d.max_entries));
    for (size_t k = 0; k < size_t(m) * cols; ++k) values[k] = load(src + k);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&h->seq, __ATOMIC_RELAXED) != s1) continue;  // torn: again

    // A consistent copy: now judge it.
    if (n > d.max_entries)
      return fail("n_entries " + std::to_string(n) + " exceeds the block's " +
                  std::to_string(d.max_entries));
    CounterSnapshot snap;
    snap.seq = s1;
    snap.updated_ns = updated;
    snap.channels = cols - 1;
    snap.names.reserve(n);
    std::unordered_set<std::string> seen;
    for (uint32_t i = 0; i < n; ++i) {
      const char* p = reinterpret_cast<const char*>(&names[size_t(i) * kNameWords]);
      const size_t len = strnlen(p, FLATNET_IPC_STATS_NAME_SIZE);
      if (!legal_name(p, len)) return fail("entry " + std::to_string(i) + " has no legal name");
      snap.names.emplace_back(p, len);
      if (!seen.insert(snap.names.back()).second)
        return fail("name '" + snap.names.back() + "' appears twice");
    }
    snap.values.assign(values.begin(), values.begin() + ptrdiff_t(size_t(n) * cols));
    *out = std::move(snap);
    return true;
  }
  return fail("still being written after " + std::to_string(max_tries) +
              " tries (a stopped or dead writer?)");
}

}  // namespace flatnet::ipc::stats

namespace flatnet::ipc {

std::vector<std::pair<std::string, uint64_t>> CounterSnapshot::totals() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], total(i));
  return out;
}

}  // namespace flatnet::ipc
