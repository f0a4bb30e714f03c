/*
 * The shared-memory ABI between the flatnet data plane and its control
 * process (docs/ipc-abi.md has the picture and the rules).
 *
 * The data plane (a DPDK primary) creates ONE segment, a 0600 file under
 * /dev/shm named by the instance. Control and tools are ordinary processes:
 * they map the file, check the magic and FLATNET_IPC_ABI_VERSION, and then
 * talk only through the rings below. Everything in the segment is addressed
 * by offsets from the segment start, never by pointers, because every
 * process maps it at its own address.
 *
 * Plain C so that any language can read it; no DPDK types. The rings are
 * our own single-producer / single-consumer rings (struct
 * flatnet_ipc_ring_state below): the only shared state of a ring is its two
 * counters; each side keeps the ring's geometry (offset, capacity, mask,
 * element size) privately, taken from the layout it created or validated
 * once, and clamps the peer's counter before using it. Neither side trusts
 * what the other can write.
 *
 * Versioning: any change of a size, offset, enum value or meaning bumps
 * FLATNET_IPC_ABI_VERSION. A reader refuses a segment whose version differs.
 * Fields named "reserved" are zero and must be ignored.
 */
#ifndef FLATNET_DATAPLANE_IPC_ABI_H
#define FLATNET_DATAPLANE_IPC_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define FLATNET_IPC_ASSERT(c, m) static_assert(c, m)
extern "C" {
#else
#include <assert.h>
#define FLATNET_IPC_ASSERT(c, m) _Static_assert(c, m)
#endif

/* "FLNETIPC" read as a little-endian uint64. */
#define FLATNET_IPC_MAGIC 0x43504954454e4c46ULL
#define FLATNET_IPC_ABI_VERSION 6u
#define FLATNET_IPC_MAX_LAN_VLANS 16

/* Channel = one producer of punts and events: worker 0..n-1, and the main
 * lcore as the last channel (n_channels - 1). */
#define FLATNET_IPC_MAX_CHANNELS 16u
#define FLATNET_IPC_HEADER_SIZE 4096u
#define FLATNET_IPC_SLOT_META_SIZE 64u
#define FLATNET_IPC_CACHE_LINE 64u
/* Default segment path: FLATNET_IPC_PATH_PREFIX <instance> ".ipc". */
#define FLATNET_IPC_PATH_PREFIX "/dev/shm/flatnet-"

/* Segment life (header.state), written by the data plane. */
enum flatnet_ipc_state {
  FLATNET_IPC_STATE_INIT = 0,     /* being built: do not attach yet */
  FLATNET_IPC_STATE_READY = 1,    /* data plane running */
  FLATNET_IPC_STATE_STOPPED = 2,  /* data plane exited cleanly */
};

/* A physical (underlay) address: where a packet came from, or where a
 * packet / a peer's path goes. IP bytes in network order; an IPv4 address
 * uses ip[0..3]. udp_port in host order. port_id is the DPDK port the data
 * plane uses (tx port for paths, rx port for punts). */
enum flatnet_ipc_family {
  FLATNET_IPC_AF_NONE = 0,
  FLATNET_IPC_AF_INET = 4,
  FLATNET_IPC_AF_INET6 = 6,
};

struct flatnet_ipc_phys_addr {
  uint8_t family;   /* enum flatnet_ipc_family */
  uint8_t flags;    /* reserved, 0 */
  uint16_t udp_port;
  uint16_t port_id;
  uint16_t reserved;
  uint8_t ip[16];
};

/* Where a ring lives and what it carries: a struct flatnet_ipc_ring_state
 * at offset, followed by count elements of esize bytes. count is the
 * capacity, a power of two, every entry usable; element i of the stream sits
 * at offset + FLATNET_IPC_RING_STATE_SIZE + (i & (count - 1)) * esize.
 * Written once by the data plane; each side copies it at start / attach and
 * never reads it again. */
struct flatnet_ipc_ring_ref {
  uint64_t offset;
  uint32_t count;
  uint32_t esize;
};

/* The shared state of one ring: two free-running 32-bit counters, each on
 * its own cache line. prod = elements ever published by the producer,
 * cons = elements ever consumed by the consumer; each is written only by its
 * side (store-release after the elements / after reading them) and read by
 * the other (load-acquire). A reader clamps: prod - cons (mod 2^32) is at
 * most count, anything else is corruption (counted; that control is no
 * longer trusted). Both start at 0 for every control session (docs/ipc-abi.md
 * "Sessions"). */
#define FLATNET_IPC_RING_STATE_SIZE 128u
struct flatnet_ipc_ring_state {
  uint32_t prod;              /* producer's line */
  uint32_t reserved0[15];
  uint32_t cons;              /* consumer's line */
  uint32_t reserved1[15];
};

/* Per channel: punt ring (dp -> control, elements: uint32 slot index),
 * punt_free ring (control -> dp, uint32 slot index: slots handed back),
 * event ring (dp -> control, struct flatnet_ipc_event). The punt slots of
 * the channel are slot_count slots of header.slot_size bytes at
 * slots_offset; slot indices are local to the channel. The data plane keeps
 * which slots it has handed to control privately: a returned index that is
 * out of range or not held by control is counted (slot_bad) and ignored. */
struct flatnet_ipc_channel_desc {
  struct flatnet_ipc_ring_ref punt;
  struct flatnet_ipc_ring_ref punt_free;
  struct flatnet_ipc_ring_ref event;
  uint64_t slots_offset;
  uint32_t slot_count;
  uint32_t reserved;
};

/* Per channel counters, written only by that channel's producer (a worker
 * or the main lcore) with relaxed stores; readable any time. A "no_control"
 * drop is an item not queued because no control was attached: while control
 * is away, the data plane counts instead of queueing. */
struct flatnet_ipc_channel_counters {
  uint64_t punt_ok;
  uint64_t punt_no_control;
  uint64_t punt_no_slot;
  uint64_t punt_ring_full;
  uint64_t punt_too_big;
  uint64_t event_ok;
  uint64_t event_no_control;
  uint64_t event_ring_full;
};

/* Per channel, how much of what control wrote the data plane refused
 * (one writer each: the channel's producer, relaxed). */
struct flatnet_ipc_channel_trust {
  uint64_t ring_corrupt;      /* a ring counter of control out of range: control dropped */
  uint64_t slot_bad;          /* a slot index out of range, or handed back twice / not held */
};

/* Main lcore counters (commands and injects). */
struct flatnet_ipc_main_counters {
  uint64_t commands_ok;
  uint64_t commands_failed;
  uint64_t injects_ok;
  uint64_t injects_bad;       /* length 0 or over the slot, or an index out of range */
  uint64_t injects_no_mbuf;
  uint64_t resyncs;
  uint64_t control_attaches;  /* attaches seen by the data plane */
  uint64_t control_losses;    /* a control vanished without detaching */
};

/* Written by the attached control only. control_pid 0 = none attached.
 * attach_epoch is a new random nonzero value on each attach (so the data
 * plane sees a new control even if a pid is reused, and a stale
 * channel_ready cannot match it by accident). Attaching stores epoch 0,
 * zeroes the control's ring counters, stores the pid, then the new epoch
 * (release); the data plane loads the epoch with acquire. */
struct flatnet_ipc_control_line {
  uint32_t control_pid;
  uint32_t attach_epoch;
  uint64_t heartbeat_ns;      /* CLOCK_MONOTONIC, refreshed by client polls */
  uint32_t control_abi;       /* FLATNET_IPC_ABI_VERSION of the control */
  uint32_t reserved[11];
};

/* ---- counters block -------------------------------------------------------
 * A self-describing snapshot of the data plane's counters (docs/ipc-abi.md
 * "The counters block"): the main lcore publishes it about every
 * interval_ms, so a reader needs no knowledge of the fast path. Entry i is a
 * name (NUL-terminated, [a-z0-9_], written once at start-up) and `columns`
 * uint64 values: the total, then channel 0 .. n_channels-1 (workers, the
 * main lcore last).
 *
 *   block + 0                         struct flatnet_ipc_stats_head (64 B)
 *   block + 64                        char names[max_entries][NAME_SIZE]
 *   block + 64 + max_entries*NAME_SIZE  uint64_t values[max_entries][columns]
 *
 * Seqlock, one writer (the main lcore): seq is made odd, names / values /
 * n_entries / updated_ns are stored (relaxed), then seq is made even again
 * (release). A reader loads seq (acquire), copies, loads seq again after an
 * acquire fence, and keeps the copy only if both reads are the same even
 * number; it retries a bounded number of times and validates what it copied
 * (n_entries <= max_entries, every name terminated and legal). seq 0 = never
 * written. */
#define FLATNET_IPC_STATS_NAME_SIZE 48u      /* bytes per name, NUL included */
#define FLATNET_IPC_STATS_MAX_ENTRIES 1024u  /* bound on max_entries */

/* In the header (written once, before READY): where the block is. */
struct flatnet_ipc_stats_desc {
  uint64_t offset;            /* from the segment start, 64-byte aligned */
  uint64_t size;              /* bytes of the block */
  uint32_t max_entries;       /* name slots, <= FLATNET_IPC_STATS_MAX_ENTRIES */
  uint32_t columns;           /* values per entry: 1 (total) + n_channels */
  uint32_t name_size;         /* FLATNET_IPC_STATS_NAME_SIZE */
  uint32_t interval_ms;       /* publish period the data plane aims for */
  uint32_t reserved[8];
};

/* The first line of the block (written by the main lcore only). */
struct flatnet_ipc_stats_head {
  uint64_t seq;               /* seqlock: odd while being written; 0 never */
  uint64_t updated_ns;        /* CLOCK_MONOTONIC of the last publish */
  uint32_t n_entries;         /* entries in use, <= max_entries */
  uint32_t reserved0;
  uint64_t reserved[5];
};

/* The segment header: the first FLATNET_IPC_HEADER_SIZE bytes. */
struct flatnet_ipc_header {
  /* line 0: identity, written once before state becomes READY */
  uint64_t magic;             /* FLATNET_IPC_MAGIC */
  uint32_t abi_version;       /* FLATNET_IPC_ABI_VERSION */
  uint32_t header_size;       /* FLATNET_IPC_HEADER_SIZE */
  uint64_t segment_size;      /* bytes, whole file */
  uint64_t generation;        /* new random value per data-plane start */
  uint32_t dp_pid;
  uint32_t state;             /* enum flatnet_ipc_state (atomic) */
  uint32_t n_channels;        /* workers + 1 (main lcore last) */
  uint32_t slot_size;         /* bytes per slot: 64 meta + data */
  uint64_t created_ns;        /* CLOCK_REALTIME at creation */
  uint32_t control_present;   /* dp's view: 1 = a live, trusted control is attached
                                 (a mirror for tools; the data plane never reads it) */
  uint16_t udp_port;          /* the data plane's primary UDP port, host order; 0 = not
                                 published (a data plane from before this field) */
  uint16_t secondary_port;    /* its secondary UDP port; 0 = none */
  /* line 1: control -> dp rings and the inject slots */
  struct flatnet_ipc_ring_ref command;     /* struct flatnet_ipc_command */
  struct flatnet_ipc_ring_ref inject;      /* uint32 slot index */
  struct flatnet_ipc_ring_ref inject_free; /* uint32 slot index, dp -> control */
  uint64_t inject_slots_offset;
  uint32_t inject_slot_count;
  uint32_t reserved1;
  /* line 2 */
  struct flatnet_ipc_control_line control;
  /* line 3 */
  struct flatnet_ipc_main_counters main_counters;
  /* lines 4.. */
  struct flatnet_ipc_channel_desc channels[FLATNET_IPC_MAX_CHANNELS];
  struct flatnet_ipc_channel_counters channel_counters[FLATNET_IPC_MAX_CHANNELS];
  char instance[64];          /* NUL-terminated instance name */
  /* line 37 */
  struct flatnet_ipc_stats_desc stats;     /* the counters block */
  /* line 38: channel_ready[c] = the attach_epoch of the control whose
   * session channel c's producer has set up (its ring counters are 0 for
   * it, its punt slots all free); written by that producer (release). A
   * control reads a channel's rings only once this equals its epoch. */
  uint32_t channel_ready[FLATNET_IPC_MAX_CHANNELS];
  /* lines 39..42 */
  struct flatnet_ipc_channel_trust channel_trust[FLATNET_IPC_MAX_CHANNELS];
  /* line 43 (main lcore) */
  uint64_t controls_dropped;  /* controls no longer trusted after corrupting the segment */
  uint32_t accepted_epoch;    /* attach_epoch of the control the data plane serves (0: none);
                                 a control whose epoch stays absent here lost its session */
  uint32_t reserved_line43a;
  uint64_t lan_network;       /* a gateway: the network its lan port is bridged into; 0 = none */
  uint16_t lan_port_id;       /* that port's DPDK port id */
  uint16_t reserved_line43b[3];
  char host_iface[16];        /* a gateway's host port (net_tap): its kernel interface,
                                 NUL-terminated; "" = none. Control gives it our member MAC,
                                 brings it up and puts the network's managed addresses on it */
  uint64_t reserved_line43[2];
  /* lines 44..46: a gateway's 802.1Q-mapped networks (config "vlans"):
   * lan_vlan_networks[i] is bridged as VLAN ID lan_vlan_ids[i]; 0 = unused */
  uint64_t lan_vlan_networks[FLATNET_IPC_MAX_LAN_VLANS];
  uint16_t lan_vlan_ids[FLATNET_IPC_MAX_LAN_VLANS];
  uint8_t reserved_tail[FLATNET_IPC_HEADER_SIZE - 2816 - 10 * FLATNET_IPC_MAX_LAN_VLANS];
};

/* ---- slots ---------------------------------------------------------------
 * A slot is FLATNET_IPC_SLOT_META_SIZE bytes of meta followed by
 * slot_size - 64 bytes of packet. Who holds a slot is known only from the
 * rings: the data plane tracks it privately and takes every slot back when a
 * new control session starts (docs/ipc-abi.md "Sessions"). */
struct flatnet_ipc_slot_meta {
  uint32_t reserved0;
  uint32_t len;               /* packet bytes following the meta; the data
                                 plane clamps an inject's len to its slot */
  uint64_t time_ns;           /* punt: rx time (CLOCK_MONOTONIC) */
  struct flatnet_ipc_phys_addr addr; /* punt: physical source;
                                        inject: physical destination */
  struct flatnet_ipc_phys_addr local; /* punt: our address it arrived on
                                         (family 0 if unknown); inject: 0 */
};

/* ---- commands (control -> dp, applied in order by the main lcore) ------- */
enum flatnet_ipc_command_type {
  FLATNET_IPC_CMD_NOP = 0,          /* answered with a RESULT if ACK is set */
  FLATNET_IPC_CMD_PEER_UPSERT = 1,  /* addr -> path (replaces the path) */
  FLATNET_IPC_CMD_PEER_DELETE = 2,  /* addr */
  FLATNET_IPC_CMD_SET_CONFIG = 3,   /* key, value (and path for SIBLING) */
  FLATNET_IPC_CMD_RESYNC = 4,       /* dump config + every peer as events */
  FLATNET_IPC_CMD_PEER_CLEAR = 5,   /* delete every peer */
  /* A gateway's VL2 tables (issue 12; docs/ipc-abi.md "VL2 commands"). The
   * 64 bytes of these commands are read as struct flatnet_ipc_vl2_command.
   * A data plane without a lan port answers E_UNKNOWN_COMMAND. */
  FLATNET_IPC_CMD_VL2_NETWORK_SET = 16,    /* nwid + settings (replaces them) */
  FLATNET_IPC_CMD_VL2_NETWORK_DELETE = 17, /* nwid, with its members, MACs and groups */
  FLATNET_IPC_CMD_VL2_MEMBER_SET = 18,     /* nwid, addr, member_flags */
  FLATNET_IPC_CMD_VL2_MEMBER_DELETE = 19,  /* nwid, addr */
  FLATNET_IPC_CMD_VL2_PEER_KEY_SET = 20,   /* addr, key; suite in flags bits 8..15 */
  FLATNET_IPC_CMD_VL2_PEER_KEY_DELETE = 21,/* addr */
  FLATNET_IPC_CMD_VL2_MAC_SET = 22,        /* nwid, mac behind member addr */
  FLATNET_IPC_CMD_VL2_MAC_DELETE = 23,     /* nwid, mac */
  FLATNET_IPC_CMD_VL2_SUBSCRIBE = 24,      /* nwid, group (mac, adi), member addr */
  FLATNET_IPC_CMD_VL2_UNSUBSCRIBE = 25,    /* nwid, group (mac, adi), member addr */
  FLATNET_IPC_CMD_VL2_RULES_CHUNK = 26,    /* nwid, a piece of the network's rules (u.r) */
  /* Appended (no existing command changed, so the ABI version stays): a
   * member's tags and capabilities, addr 0 = the gateway's own. */
  FLATNET_IPC_CMD_VL2_CREDS_CHUNK = 27,    /* nwid, addr, a piece of its credentials blob (u.r) */
  FLATNET_IPC_CMD_VL2_CREDS_DELETE = 28,   /* nwid, addr */
  /* Mark and sweep (ABI 6; docs/ipc-abi.md "Epochs: restart without a gap"):
   * every entry a VL2 command sets is stamped with the current epoch;
   * SWEEP deletes, a bounded number per round, every entry stamped with
   * another epoch (keys wiped) and answers once none is left. */
  FLATNET_IPC_CMD_VL2_EPOCH_BEGIN = 29,    /* u.e.epoch (nonzero): stamp what follows with it */
  FLATNET_IPC_CMD_VL2_SWEEP = 30,          /* u.e.epoch (= the current one): delete the rest */
};
#define FLATNET_IPC_CMD_VL2_FIRST 16u
#define FLATNET_IPC_CMD_VL2_LAST 30u
#define FLATNET_IPC_VL2_RULES_CHUNK 28u        /* rule bytes per RULES_CHUNK */
#define FLATNET_IPC_VL2_RULES_MAX 65536u       /* bytes of one network's rules */
#define FLATNET_IPC_VL2_RULES_UNSUPPORTED 0x1u /* u.r.flags: RULES_RESULT_OF_UNSUPPORTED_MATCH */
/* CREDS_CHUNK carries, in u.r like RULES_CHUNK (flags 0), the blob of
 * dataplane/tables/vl2_rules.hpp decode_creds: u16 n_tags, n_tags x (u32 id,
 * u32 value) ascending; u16 n_caps, n_caps x (u32 id, u16 bytes, §10.9 rules);
 * then, only when there is any, what the member owns (certificates of
 * ownership, for the SENDER_IP/MAC_AUTHENTICATED characteristics): u16 n,
 * n x IPv4 (4 bytes); u16 n, n x IPv6 (16 bytes); u16 n, n x MAC (6 bytes),
 * each list ascending and unique; u8 ndp (bit 0: a 5-byte 6PLANE prefix
 * follows, bit 1: an 11-byte RFC4193 prefix follows; addr 0 only). */
#define FLATNET_IPC_VL2_CREDS_MAX 65536u       /* bytes of one member's credentials */
#define FLATNET_IPC_VL2_CREDS_MAX_OWNED 64u    /* IPv4s, IPv6s, MACs each, per member */

#define FLATNET_IPC_CMD_F_ACK 0x0001u /* send a RESULT event even on success */

enum flatnet_ipc_config_key {
  FLATNET_IPC_CFG_RELAY = 1,          /* value 0/1: relay for known peers */
  FLATNET_IPC_CFG_SIBLING_ROOT = 2,   /* path = sibling root; value 0 clears */
  FLATNET_IPC_CFG_PATH_MAX_IDLE_MS = 3, /* age out paths idle this long; 0 off */
};

struct flatnet_ipc_command {
  uint16_t type;              /* enum flatnet_ipc_command_type */
  uint16_t flags;             /* FLATNET_IPC_CMD_F_* */
  uint32_t seq;               /* echoed in the RESULT event */
  uint64_t addr;              /* 40-bit peer address in the low bits */
  struct flatnet_ipc_phys_addr path;
  uint32_t key;               /* enum flatnet_ipc_config_key */
  uint32_t reserved;
  uint64_t value;
  uint64_t reserved2;
};

/* The VL2 commands' view of the same 64 bytes. MACs are the low 48 bits of
 * a uint64 with the MAC's first byte most significant (02:36:88:42:bc:ca =
 * 0x02368842bccaULL). */
#define FLATNET_IPC_VL2_MEMBER_PRESENT 0x1u   /* a member of the network */
#define FLATNET_IPC_VL2_MEMBER_COM_VALID 0x2u /* its COM agrees with ours (private networks) */
#define FLATNET_IPC_VL2_MEMBER_BRIDGE 0x4u    /* an active bridge */
#define FLATNET_IPC_VL2_NET_BROADCAST 0x1u    /* ff:ff:ff:ff:ff:ff allowed */
#define FLATNET_IPC_VL2_NET_PRIVATE 0x2u      /* members need a valid COM */
#define FLATNET_IPC_VL2_NET_NO_LOOP_GUARD 0x4u /* do not drop frames whose source is on our LAN
                                                 (docs/gateway.md "Loops"); 0 = the guard is on */
#define FLATNET_IPC_VL2_SUITE_SHIFT 8         /* PEER_KEY_SET: flags bits 8..15 = 1 or 3 */
#define FLATNET_IPC_VL2_KEY_SIZE 48u

struct flatnet_ipc_vl2_command {
  uint16_t type;              /* FLATNET_IPC_CMD_VL2_* */
  uint16_t flags;             /* FLATNET_IPC_CMD_F_*; PEER_KEY_SET: suite << 8 */
  uint32_t seq;
  uint64_t addr;              /* member / peer address, 40 bits */
  union {
    struct {                  /* every VL2 command but PEER_KEY_SET */
      uint64_t nwid;
      uint64_t mac;           /* MAC_*, (UN)SUBSCRIBE */
      uint32_t adi;           /* (UN)SUBSCRIBE */
      uint32_t member_flags;  /* MEMBER_SET: FLATNET_IPC_VL2_MEMBER_* */
      uint32_t multicast_limit; /* NETWORK_SET: recipients of one multicast; 0 = off */
      uint16_t mtu;           /* NETWORK_SET: the network's MTU */
      uint8_t net_flags;      /* NETWORK_SET: FLATNET_IPC_VL2_NET_* */
      uint8_t reserved0;
      uint32_t mac_capacity;  /* NETWORK_SET: MAC table bound; 0 = the data plane's */
      uint32_t reserved1;
      uint64_t reserved2;
    } t;
    struct {                  /* RULES_CHUNK: bytes [offset, offset + len) of the
                                 network's rules in the binary form of spec §10.9 (the
                                 config's "R"), total bytes in all; offset 0 starts a new
                                 table, the chunk that reaches total installs it */
      uint64_t nwid;
      uint32_t total;
      uint32_t offset;
      uint8_t len;            /* <= FLATNET_IPC_VL2_RULES_CHUNK */
      uint8_t flags;          /* FLATNET_IPC_VL2_RULES_UNSUPPORTED */
      uint8_t reserved[2];
      uint8_t data[FLATNET_IPC_VL2_RULES_CHUNK];
    } r;
    struct {                  /* EPOCH_BEGIN, SWEEP */
      uint32_t epoch;
      uint32_t reserved;
    } e;
    /* PEER_KEY_SET: the 48-byte shared key. The data plane wipes the ring
     * entry and every copy of it once applied; it never logs or echoes it. */
    uint8_t key[FLATNET_IPC_VL2_KEY_SIZE];
  } u;
};

/* ---- events (dp -> control) --------------------------------------------- */
/* Which event fields carry what (every other field is 0; time_ns is always
 * CLOCK_MONOTONIC of when the event was made unless said otherwise):
 *   RESULT        seq = command seq, status = enum flatnet_ipc_status,
 *                 addr = command addr, count = command type; for a barrier
 *                 (NOP with F_ACK) count = RESULT events the data plane
 *                 failed to queue since the previous barrier (0 normally;
 *                 > 0 means control's view may be wrong: RESYNC)
 *   RELAY_PAIR    addr = VL1 source, addr2 = VL1 destination,
 *                 count = relayed packets of the pair since its last report (>= 1)
 *   UNKNOWN_DEST  addr = VL1 destination, addr2 = VL1 source,
 *                 path = physical source of the packet
 *   RESYNC_BEGIN  seq = RESYNC seq, count = live peers (PEER events to follow)
 *   CONFIG        seq = RESYNC seq, status = key (enum flatnet_ipc_config_key),
 *                 addr = value (as SET_CONFIG's value), path = the sibling
 *                 root's path for SIBLING_ROOT with value 1
 *   PEER          seq = RESYNC seq, addr, path, time_ns = last receive
 *                 (or insertion) time
 *   RESYNC_END    seq = RESYNC seq, count = PEER events sent (= BEGIN's count)
 *   PATH_EXPIRED  addr, path, time_ns = last receive: aged out by the data plane
 *   VL2_GROUP     a gateway's LAN and a multicast group: addr = network,
 *                 addr2 = group MAC, status = ADI, count = 1 a LAN host joined
 *                 it (an IGMP / MLD report seen on the lan port), 2 a LAN host
 *                 sent to it; per worker rate-limited and de-duplicated
 *   VL2_LOOP      a gateway's LAN is bridged twice: a frame looped between
 *                 the LAN and the network (dropped, drop_vl2_lan_loop):
 *                 addr = network, addr2 = its source MAC, status = the top 8
 *                 bits and count = the low 32 bits of the VL1 address of the
 *                 bridge or member it looped through; at most once per
 *                 second per network and worker */
enum flatnet_ipc_event_type {
  FLATNET_IPC_EV_RESULT = 1,
  FLATNET_IPC_EV_RELAY_PAIR = 2,
  FLATNET_IPC_EV_UNKNOWN_DEST = 3,
  FLATNET_IPC_EV_RESYNC_BEGIN = 4,
  FLATNET_IPC_EV_PEER = 5,
  FLATNET_IPC_EV_CONFIG = 6,
  FLATNET_IPC_EV_RESYNC_END = 7,
  FLATNET_IPC_EV_PATH_EXPIRED = 8,
  FLATNET_IPC_EV_VL2_GROUP = 9,
  FLATNET_IPC_EV_VL2_LOOP = 10,
};

enum flatnet_ipc_vl2_group_kind {
  FLATNET_IPC_VL2_GROUP_JOINED = 1,
  FLATNET_IPC_VL2_GROUP_SENT = 2,
};

enum flatnet_ipc_status {
  FLATNET_IPC_OK = 0,
  FLATNET_IPC_E_UNKNOWN_COMMAND = 1,
  FLATNET_IPC_E_BAD_ARGUMENT = 2,   /* reserved address, bad family, port 0 */
  FLATNET_IPC_E_TABLE_FULL = 3,     /* capacity reached */
  FLATNET_IPC_E_NOT_FOUND = 4,
  FLATNET_IPC_E_BUSY = 5,           /* reclaim pending; retry later */
  FLATNET_IPC_E_UNKNOWN_KEY = 6,
};

struct flatnet_ipc_event {
  uint16_t type;              /* enum flatnet_ipc_event_type */
  uint16_t channel;           /* producing channel */
  uint32_t seq;
  uint64_t time_ns;
  uint64_t addr;
  uint64_t addr2;
  struct flatnet_ipc_phys_addr path;
  uint32_t status;            /* RESULT: enum flatnet_ipc_status; CONFIG: key */
  uint32_t count;             /* see the table above */
};

/* ---- layout checks: these are the ABI ------------------------------------ */
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_phys_addr) == 24, "phys_addr size");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_phys_addr, ip) == 8, "phys_addr.ip");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_ring_ref) == 16, "ring_ref size");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_channel_desc) == 64, "channel_desc size");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_channel_counters) == 64, "channel_counters");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_main_counters) == 64, "main_counters");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_control_line) == 64, "control_line");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_header) == FLATNET_IPC_HEADER_SIZE, "header size");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, generation) == 24, "generation");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, state) == 36, "state");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, control_present) == 56, "present");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, command) == 64, "line 1");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, control) == 128, "line 2");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, main_counters) == 192, "line 3");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, channels) == 256, "channels");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, channel_counters) == 1280, "counters");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, instance) == 2304, "instance");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, stats) == 2368, "stats");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, channel_ready) == 2432, "ready");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, channel_trust) == 2496, "trust");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, controls_dropped) == 2752, "dropped");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, accepted_epoch) == 2760, "accepted_epoch");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, host_iface) == 2784, "host_iface");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_header, lan_vlan_networks) == 2816, "lan_vlan_networks");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_ring_state) == FLATNET_IPC_RING_STATE_SIZE, "ring state");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_ring_state, cons) == 64, "ring cons line");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_stats_desc) == 64, "stats_desc size");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_stats_head) == 64, "stats_head size");
FLATNET_IPC_ASSERT(FLATNET_IPC_STATS_NAME_SIZE % 8 == 0, "names are whole 8-byte words");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_slot_meta) <= FLATNET_IPC_SLOT_META_SIZE,
                   "slot meta fits");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_slot_meta) == 64, "slot meta size");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_command) == 64, "command size");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_vl2_command) == 64, "vl2 command size");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_vl2_command, u) == 16, "vl2 command body");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_command, path) == 16, "command.path");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_command, value) == 48, "command.value");
FLATNET_IPC_ASSERT(sizeof(struct flatnet_ipc_event) == 64, "event size");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_event, path) == 32, "event.path");
FLATNET_IPC_ASSERT(offsetof(struct flatnet_ipc_event, count) == 60, "event.count");

#ifdef __cplusplus
}
#endif
#endif /* FLATNET_DATAPLANE_IPC_ABI_H */
