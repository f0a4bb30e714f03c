// Fast-path reassembly for the gateway (vl2_reasm.hpp).
#include "dataplane/fastpath/vl2_reasm.hpp"

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/fastpath/stage.hpp"
#include "dataplane/wire/vl1.hpp"

namespace flatnet::fastpath {

namespace wire = flatnet::wire;

namespace {

uint64_t path_of(const PktMeta* pm) {
  // Two 8-byte loads of the (unaligned) address into the CRC. The family
  // goes into the seed, not beside the hash: built byte by byte next to the
  // packet id, the compiler paired the two in a vector assembled through the
  // stack, and that load waited for every older store to drain (perf: two
  // thirds of reasm_add's samples).
  uint64_t a, b;
  std::memcpy(&a, pm->src_ip.b, 8);
  std::memcpy(&b, pm->src_ip.b + 8, 8);
  const uint32_t seed = uint32_t(pm->src_port) << 8 | uint8_t(pm->src_ip.family);
  return uint64_t(rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, seed))) << 8 | uint8_t(pm->src_ip.family);
}

// The packet id as one load: it is only compared, never shown, so it is
// kept in the machine's byte order.
uint64_t id_of(const uint8_t* d) {
  uint64_t id;
  std::memcpy(&id, d + wire::kIdxPacketId, 8);
  return id;
}

void drop_slot(Worker& w, Reasm& r, Reasm::Slot& s, Drop why) {
  for (unsigned i = 0; i < Reasm::kMaxPieces; ++i)
    if (s.piece[i]) drop_one(w, s.piece[i], why);
  s = Reasm::Slot{};
  --r.busy;
}

// Joins the pieces of s into one mbuf of the large pool (metadata from the head).
rte_mbuf* assemble(Worker& w, Reasm& r, Reasm::Slot& s) {
  uint32_t len = meta(s.piece[0])->data_len;
  for (unsigned i = 1; i < s.total; ++i) len += meta(s.piece[i])->data_len - uint32_t(wire::kFragmentHeaderLength);
  if (len > wire::kMaxPacketLength) return nullptr;
  rte_mbuf* a = rte_pktmbuf_alloc(r.big);
  if (!a) {
    w.c->count_drop(Drop::no_mbuf);
    return nullptr;
  }
  auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(a, uint16_t(len)));
  if (!d) {
    rte_pktmbuf_free(a);
    return nullptr;
  }
  const PktMeta* hm = meta(s.piece[0]);
  std::memcpy(d, rte_pktmbuf_mtod_offset(s.piece[0], const uint8_t*, hm->data_off), hm->data_len);
  uint32_t at = hm->data_len;
  for (unsigned i = 1; i < s.total; ++i) {
    const PktMeta* fm = meta(s.piece[i]);
    const uint32_t n = fm->data_len - uint32_t(wire::kFragmentHeaderLength);
    std::memcpy(d + at, rte_pktmbuf_mtod_offset(s.piece[i], const uint8_t*, fm->data_off + wire::kFragmentHeaderLength), n);
    at += n;
  }
  PktMeta* am = meta(a);
  *am = *hm;
  am->data_off = 0;
  am->data_len = uint16_t(len);
  am->is_fragment = 0;
  return a;
}

// A head that came first and its one fragment (the fragment just arrived):
// the fragment's payload appended to the head's mbuf, where the head's VL1
// bytes are the last in a direct, unshared, one-segment mbuf with the room
// (nullptr otherwise: assemble copies). The fragment stays in the slot as
// received, for a punt.
rte_mbuf* join_in_place(Worker& w, Reasm::Slot& s) {
  rte_mbuf* h = s.piece[0];
  rte_mbuf* f = s.piece[1];
  PktMeta* hm = meta(h);
  const PktMeta* fm = meta(f);
  const uint32_t end = uint32_t(hm->data_off) + hm->data_len;
  const uint32_t n = fm->data_len - uint32_t(wire::kFragmentHeaderLength);
  if (h->nb_segs != 1 || !RTE_MBUF_DIRECT(h) || rte_mbuf_refcnt_read(h) != 1 || h->data_len != end ||
      rte_pktmbuf_tailroom(h) < n || hm->data_len + n > wire::kMaxPacketLength)
    return nullptr;
  // One segment with the room, checked above: the lengths are set here, not
  // by rte_pktmbuf_append, whose walk to the last segment reads the mbuf's
  // second cache line (m->next), a miss on a line the receiving core never
  // touched otherwise (perf: a fifth of reasm_add's samples).
  uint8_t* d = rte_pktmbuf_mtod_offset(h, uint8_t*, h->data_len);
  h->data_len = uint16_t(h->data_len + n);
  h->pkt_len += n;
  std::memcpy(d, rte_pktmbuf_mtod_offset(f, const uint8_t*, fm->data_off + wire::kFragmentHeaderLength), n);
  s.head_end = uint16_t(end);
  s.piece[0] = nullptr;  // the joined packet is the head: decap owns it
  hm->data_len = uint16_t(hm->data_len + n);
  hm->is_fragment = 0;
  ++w.c->vl2_reasm_in_place;
  return h;
}

}  // namespace

rte_mbuf* reasm_add(Worker& w, Reasm& r, rte_mbuf* m, int* slot_out) {
  PktMeta* pm = meta(m);
  const uint8_t* d = rte_pktmbuf_mtod_offset(m, const uint8_t*, pm->data_off);
  const uint64_t id = id_of(d);  // a fragment's id is at the same offset (spec §2.5)
  const uint64_t path = path_of(pm);
  unsigned no = 0, total = 0;
  if (pm->is_fragment) {
    total = d[wire::kFragIdxNo] >> 4;
    no = d[wire::kFragIdxNo] & 0x0f;
    if (total < 2 || total > Reasm::kMaxPieces || no == 0 || no >= total ||
        pm->data_len <= wire::kFragmentHeaderLength) {
      drop_one(w, m, Drop::vl2_reasm_bad);
      return nullptr;
    }
  }
  // Find the packet's slot, else a free one, else the oldest partial one.
  Reasm::Slot* s = nullptr;
  Reasm::Slot* free_slot = nullptr;
  Reasm::Slot* oldest = nullptr;
  for (auto& c : r.slot) {
    if (c.busy && c.id == id && c.path == path && !c.held) {
      s = &c;
      break;
    }
    if (!c.busy && !free_slot) free_slot = &c;
    if (c.busy && !c.held && (!oldest || c.born < oldest->born)) oldest = &c;
  }
  if (!s) {
    if (!free_slot) {
      if (!oldest) {  // every slot holds a packet decap has not released: cannot happen within a burst
        drop_one(w, m, Drop::vl2_reasm_timeout);
        return nullptr;
      }
      drop_slot(w, r, *oldest, Drop::vl2_reasm_timeout);  // stock drops the oldest too
      free_slot = oldest;
    }
    s = free_slot;
    *s = Reasm::Slot{};
    s->busy = true;
    s->id = id;
    s->path = path;
    s->born = w.now;
    ++r.busy;
  }
  if (s->have & (1u << no)) {  // ZeroTier 1.x has no replay protection: a copy is counted, not kept
    drop_one(w, m, Drop::vl2_reasm_dup);
    return nullptr;
  }
  if (total) {
    if (s->total && s->total != total) {
      drop_one(w, m, Drop::vl2_reasm_bad);
      drop_slot(w, r, *s, Drop::vl2_reasm_bad);
      return nullptr;
    }
    s->total = uint8_t(total);
  }
  s->piece[no] = m;
  s->have = uint8_t(s->have | 1u << no);
  // A fragment is freed once decap has decided on its packet, later in this
  // burst; rte_pktmbuf_free reads m->next in the mbuf's second line, which
  // nothing on this core read before (perf: the free was a third of the
  // reassembly's cost for 1,500-byte frames). Fetched now, it is there then.
  if (no != 0) rte_prefetch0(reinterpret_cast<const uint8_t*>(m) + RTE_CACHE_LINE_SIZE);
  ++w.c->vl2_reasm_held;
  if (!s->total || s->have != (1u << s->total) - 1) return nullptr;
  // In place only for head then fragment: the common order, and the one in
  // which the head (the mbuf that grows) is not the piece just added.
  rte_mbuf* a = s->total == 2 && no == 1 ? join_in_place(w, *s) : nullptr;
  if (!a) a = assemble(w, r, *s);
  if (!a) {
    drop_slot(w, r, *s, Drop::vl2_reasm_bad);
    return nullptr;
  }
  s->held = true;
  *slot_out = int(s - r.slot);
  ++w.c->vl2_reasm_done;
  return a;
}

void reasm_release(Reasm& r, int slot, rte_mbuf** out, uint16_t* n) {
  Reasm::Slot& s = r.slot[slot];
  for (unsigned i = 0; i < s.total; ++i) {
    if (!s.piece[i]) continue;
    if (out) out[(*n)++] = s.piece[i];
    else rte_pktmbuf_free(s.piece[i]);
  }
  s = Reasm::Slot{};
  --r.busy;
}

void reasm_trim(rte_mbuf* a, uint16_t head_end) {
  PktMeta* am = meta(a);
  const uint16_t extra = uint16_t(a->data_len - head_end);
  rte_pktmbuf_trim(a, extra);
  am->data_len = uint16_t(am->data_len - extra);
}

bool reasm_unjoin(Reasm& r, int slot, rte_mbuf* a) {
  const uint16_t end = r.slot[slot].head_end;
  if (!end) return false;
  reasm_trim(a, end);
  return true;
}

void reasm_expire(Worker& w, Reasm& r) {
  if (r.busy == 0) return;
  for (auto& s : r.slot)
    if (s.busy && !s.held && w.now - s.born > r.timeout) drop_slot(w, r, s, Drop::vl2_reasm_timeout);
}

}  // namespace flatnet::fastpath
