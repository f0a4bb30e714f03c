#!/usr/bin/env bash
# tools/bench/member/run.sh <stock-bin-dir> [options]
#
# "Proof of speed" for flatnet members (issue 10, docs/bench-member.md):
# iperf3 TCP with 1 and 8 streams between two members in network
# namespaces on this machine, in one run, for
#   veth   plain veth pair (the ceiling: no overlay at all)
#   stock  two stock ZeroTier 1.14.1 members (zerotier-one from <stock-bin-dir>;
#          this script never builds or fetches it)
#   flatnet two flatnetd members (from --build), once flatnetd can join
# with each process's CPU from /proc/<pid>/stat before and after every
# iperf3 run (the members' daemons, the iperf3 server) and the client's own
# figure from iperf3 -J. Setups are interleaved rep by rep, so load from
# others sharing the machine spreads over all of them.
#
# Topology (namespaces fnp-*, no uplink, nothing leaves them):
#   [fnp-v1] v1 10.77.0.1/24 --- veth --- [fnp-v2] v2 10.77.0.2/24
#
#   [fnp-br] br0 bridge (no address)
#     +-- [fnp-root] eth0 10.99.0.1   stock zerotier-one: the planet's root
#     |                                359e3db032 AND the network controller
#     |                                (network 359e3db032000001, 10.99.100.0/24)
#     +-- [fnp-a] eth0 10.99.0.11     stock member a ee420f0cda, 10.99.100.11
#     +-- [fnp-b] eth0 10.99.0.12     stock member b c989c90153, 10.99.100.12
#     +-- [fnp-c] eth0 10.99.0.13     flatnetd member c (fresh identity), 10.99.100.13
#     +-- [fnp-d] eth0 10.99.0.14     flatnetd member d (fresh identity), 10.99.100.14
#     +-- [fnp-e], [fnp-f] .15, .16    flatnetd members e, f for flatnet-plain
#     +-- [fnp-g] .. [fnp-t] .17 .. .30 flatnet-nogso, -nogro, -tso, -gro, -nooffload, -mq, -io1
# The planet and the root/a/b identities are the committed stock test vectors
# (../shared/vectors/zerotier-1.14.1); c and d get identities made by the stock
# zerotier-idtool. All four members run at once (idle ones cost ~nothing);
# the client is always a/c/v1, the server b/d/v2.
#
# Options
#   --build DIR     flatnet build folder (default: <repo>/build) for flatnetd and flatnet
#   --vectors DIR   stock vectors (default: <repo>/../shared/vectors/zerotier-1.14.1)
#   --out DIR       results (default /tmp/fnp-bench-member): results.jsonl, logs/, summary
#   --reps N        runs per setup and stream count (default 5)
#   --seconds S     iperf3 -t (default 10)
#   --setups LIST   comma-separated subset of veth,stock,flatnet,flatnet-io1,flatnet-nooffload,
#                   flatnet-plain (default all); flatnet: flatnetd's defaults (the tap offload:
#                   vnet header, TSO reads, GRO writes); flatnet-io1 (s, t): the same with the
#                   tap's I/O on a thread of its own (--tap-queues 1); flatnet-nooffload (o, p):
#                   a plain tap
#                   (--no-tap-offload, the default before session 6); flatnet-plain: flatnetd
#                   with its UDP batching, GSO and GRO off (--udp-batch 1 --no-udp-gso
#                   --no-udp-gro), members e and f; also (not by default) flatnet-nogso (g, h),
#                   flatnet-nogro (i, j), flatnet-tso (k, l: --no-tap-gro, TSO reads but every
#                   frame written on its own) and flatnet-gro (m, n: --tap-offload, the same as
#                   flatnet's defaults, named for comparisons), flatnet-mq (q, r: --tap-queues 2,
#                   a two-queue tap with an I/O thread per queue)
#   --ns-prefix P   namespaces are named P-* instead of fnp-* (two runs at once on one
#                   machine, e.g. two helpers' branches; their numbers then share the CPU)
#   --keep          leave namespaces and daemons up at the end (then: run.sh --down)
#   --down          stop what a kept run left (pids/namespaces recorded in --out) and exit
# Needs root, iproute2, iperf3, jq, curl; /usr/bin/python3 with matplotlib for the plot
# (tools/scripts/setup.sh installs them).
set -euo pipefail
export LC_ALL=C

SELF=$(readlink -f -- "${BASH_SOURCE[0]}")
HERE=${SELF%/*}
REPO=$(cd "$HERE/../../.." && pwd -P)

STOCK_BIN=""
BUILD=$REPO/build
VECTORS=$REPO/../shared/vectors/zerotier-1.14.1
OUT=/tmp/fnp-bench-member
REPS=5
SECONDS_RUN=10
SETUPS=veth,stock,flatnet,flatnet-io1,flatnet-nooffload,flatnet-plain
KEEP=0
DOWN=0
NSP=fnp
while [ $# -gt 0 ]; do
	case "$1" in
		--build) BUILD=$2; shift 2 ;;
		--vectors) VECTORS=$2; shift 2 ;;
		--out) OUT=$2; shift 2 ;;
		--reps) REPS=$2; shift 2 ;;
		--seconds) SECONDS_RUN=$2; shift 2 ;;
		--setups) SETUPS=$2; shift 2 ;;
		--ns-prefix) NSP=$2; shift 2 ;;
		--keep) KEEP=1; shift ;;
		--down) DOWN=1; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		-*) echo "unknown option $1" >&2; exit 2 ;;
		*) [ -z "$STOCK_BIN" ] || { echo "one stock bin dir only" >&2; exit 2; }; STOCK_BIN=$1; shift ;;
	esac
done

log() { echo "[$(date -u +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
now_us() { echo "${EPOCHREALTIME/./}"; }
# poll <seconds> <cmd...>: every 0.25 s until it succeeds (0) or time is up (1)
poll() {
	local end=$(( $(now_us) + $1 * 1000000 )); shift
	while :; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		(( $(now_us) < end )) || return 1
		sleep 0.25
	done
}
want() { [[ ",$SETUPS," == *",$1,"* ]]; }

PORT=9993
IPERF_PORT=5201
declare -A UIP=([root]=10.99.0.1 [a]=10.99.0.11 [b]=10.99.0.12 [c]=10.99.0.13 [d]=10.99.0.14
                [e]=10.99.0.15 [f]=10.99.0.16 [g]=10.99.0.17 [h]=10.99.0.18 [i]=10.99.0.19
                [j]=10.99.0.20 [k]=10.99.0.21 [l]=10.99.0.22 [m]=10.99.0.23 [n]=10.99.0.24
                [o]=10.99.0.25 [p]=10.99.0.26 [q]=10.99.0.27 [r]=10.99.0.28 [s]=10.99.0.29
                [t]=10.99.0.30)
declare -A ZIP=([a]=10.99.100.11 [b]=10.99.100.12 [c]=10.99.100.13 [d]=10.99.100.14
                [e]=10.99.100.15 [f]=10.99.100.16 [g]=10.99.100.17 [h]=10.99.100.18
                [i]=10.99.100.19 [j]=10.99.100.20 [k]=10.99.100.21 [l]=10.99.100.22
                [m]=10.99.100.23 [n]=10.99.100.24 [o]=10.99.100.25 [p]=10.99.100.26
                [q]=10.99.100.27 [r]=10.99.100.28 [s]=10.99.100.29 [t]=10.99.100.30)
# flatnetd setups: client node, server node, extra flatnetd arguments
declare -A FN_CLIENT=([flatnet]=c [flatnet-plain]=e [flatnet-nogso]=g [flatnet-nogro]=i
                      [flatnet-tso]=k [flatnet-gro]=m
                      [flatnet-nooffload]=o [flatnet-mq]=q [flatnet-io1]=s)
declare -A FN_SERVER=([flatnet]=d [flatnet-plain]=f [flatnet-nogso]=h [flatnet-nogro]=j
                      [flatnet-tso]=l [flatnet-gro]=n
                      [flatnet-nooffload]=p [flatnet-mq]=r [flatnet-io1]=t)
declare -A FN_ARGS=([flatnet]="" [flatnet-plain]="--udp-batch 1 --no-udp-gso --no-udp-gro"
                    [flatnet-nogso]="--no-udp-gso" [flatnet-nogro]="--no-udp-gro"
                    [flatnet-tso]="--no-tap-gro" [flatnet-gro]="--tap-offload"
                    [flatnet-nooffload]="--no-tap-offload" [flatnet-mq]="--tap-queues 2"
                    [flatnet-io1]="--tap-queues 1")
FN_SETUPS=(flatnet flatnet-nooffload flatnet-tso flatnet-gro flatnet-mq flatnet-io1 flatnet-plain
           flatnet-nogso flatnet-nogro)

# flatnet-noburst (o, p; not by default): flatnetd --no-burst-crypto, the core armoring and
# dearmoring one packet at a time instead of in crypto/mb bursts.
UIP[o]=10.99.0.25 UIP[p]=10.99.0.26 ZIP[o]=10.99.100.25 ZIP[p]=10.99.100.26
FN_CLIENT[flatnet-noburst]=o FN_SERVER[flatnet-noburst]=p FN_ARGS[flatnet-noburst]=--no-burst-crypto
FN_SETUPS+=(flatnet-noburst)
# ---- processes and namespaces we made (recorded, checked by start time) ----
proc_field() { # proc_field <pid> <n>: field n (1-based, after "(comm)") of /proc/<pid>/stat
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	local -a f; read -r -a f <<<"$s"
	echo "${f[$(( $2 - 1 ))]}"
}
record_pid() { echo "$2 $(proc_field "$2" 20 || echo gone)" >"$OUT/pids/$1.pid"; }
pid_of() { # pid_of <name>: the recorded pid if it is still that process
	local pid st
	[ -s "$OUT/pids/$1.pid" ] || return 1
	read -r pid st <"$OUT/pids/$1.pid"
	[ -d "/proc/$pid" ] && [ "$(proc_field "$pid" 20 2>/dev/null)" = "$st" ] && echo "$pid"
}
cpu_ticks() { # utime + stime of a recorded process (clock ticks); 0 if gone
	local pid; pid=$(pid_of "$1") || { echo 0; return; }
	echo $(( $(proc_field "$pid" 12) + $(proc_field "$pid" 13) ))
}
stop_pid() { # TERM, up to 5 s, then KILL -- only the recorded process
	local pid; pid=$(pid_of "$1") || { rm -f "$OUT/pids/$1.pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do pid_of "$1" >/dev/null || break; sleep 0.1; done
	if pid_of "$1" >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
	rm -f "$OUT/pids/$1.pid"
}
ns_exists() { ip netns list | awk '{print $1}' | grep -qxF -- "$1"; }
mkns() {
	ns_exists "$1" && die "namespace $1 exists already (another run? try --down)"
	ip netns add "$1"
	echo "$1 $(nsx "$1" readlink /proc/self/ns/net)" >>"$OUT/netns.list"
	ip -n "$1" link set lo up
}
down() {
	local f name id
	for f in "$OUT"/pids/*.pid; do [ -e "$f" ] || continue; f=${f##*/}; stop_pid "${f%.pid}"; done
	if [ -s "$OUT/netns.list" ]; then
		while read -r name id; do
			if ns_exists "$name" && [ "$(nsx "$name" readlink /proc/self/ns/net 2>/dev/null)" = "$id" ]; then
				ip netns del "$name"
			fi
		done <"$OUT/netns.list"
		: >"$OUT/netns.list"
	fi
}

[ "$(id -u)" = 0 ] || die "run as root (network namespaces)"
if [ "$DOWN" = 1 ]; then down; log "down"; exit 0; fi
[ -n "$STOCK_BIN" ] || die "usage: $0 <stock-bin-dir> [options] (see --help)"
STOCK_BIN=$(cd "$STOCK_BIN" && pwd -P)
ZTONE=$STOCK_BIN/zerotier-one
[ -x "$ZTONE" ] || die "no executable $ZTONE"
if [ -x "$STOCK_BIN/zerotier-cli" ]; then ZTCLI=("$STOCK_BIN/zerotier-cli"); else ZTCLI=("$ZTONE" -q); fi
if [ -x "$STOCK_BIN/zerotier-idtool" ]; then IDTOOL=("$STOCK_BIN/zerotier-idtool"); else IDTOOL=("$ZTONE" -i); fi
VECTORS=$(cd "$VECTORS" && pwd -P)
PLANET=$VECTORS/world/planet.bin
for t in ip iperf3 jq curl awk; do command -v $t >/dev/null || die "missing $t (tools/scripts/setup.sh)"; done
[[ $REPS =~ ^[0-9]+$ ]] && [ "$REPS" -ge 1 ] || die "--reps must be >= 1"
[[ $SECONDS_RUN =~ ^[0-9]+$ ]] && [ "$SECONDS_RUN" -ge 1 ] || die "--seconds must be >= 1"
FLATNETD=$BUILD/control/flatnetd
FLATNET=$BUILD/tools/cli/flatnet
if want flatnet; then
	[ -x "$FLATNETD" ] || die "no $FLATNETD (--build)"
fi

mkdir -p "$OUT"
[ ! -s "$OUT/netns.list" ] || die "$OUT has namespaces recorded from a kept run: $0 --down --out $OUT"
rm -rf -- "$OUT/pids" "$OUT/logs" "$OUT/homes"
mkdir -p "$OUT/pids" "$OUT/logs" "$OUT/homes"
: >"$OUT/netns.list"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
on_exit() {
	local rc=$?
	if [ "$KEEP" = 1 ]; then log "--keep: left up; $0 --down --out $OUT"; else down; fi
	exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT; trap 'exit 143' TERM

# ---- the machine, for the record ----
{
	echo "date_utc=$(date -u +%FT%TZ)"
	echo "kernel=$(uname -r)"
	echo "cpus=$(nproc) $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "iperf3=$(iperf3 --version 2>&1 | head -n1)"
	echo "stock=$ZTONE $("$ZTONE" -v 2>/dev/null || true)"
	echo "flatnet=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo ?) $FLATNETD"
	echo "reps=$REPS seconds=$SECONDS_RUN setups=$SETUPS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ---- plain veth ----
veth_up() {
	mkns ${NSP}-v1; mkns ${NSP}-v2
	ip -n ${NSP}-v1 link add v1 type veth peer name v2 netns ${NSP}-v2
	ip -n ${NSP}-v1 addr add 10.77.0.1/24 dev v1; ip -n ${NSP}-v1 link set v1 up
	ip -n ${NSP}-v2 addr add 10.77.0.2/24 dev v2; ip -n ${NSP}-v2 link set v2 up
}

# ---- the bridge and the ZeroTier nodes ----
zt_nodes() { # the root, the stock members, and the members of each flatnetd setup asked for
	echo root a b
	local s; for s in "${FN_SETUPS[@]}"; do want "$s" && echo "${FN_CLIENT[$s]} ${FN_SERVER[$s]}"; done
	return 0
}
bridge_up() {
	mkns ${NSP}-br
	ip -n ${NSP}-br link add br0 type bridge
	ip -n ${NSP}-br link set br0 up
	local n
	for n in $(zt_nodes); do
		mkns "${NSP}-$n"
		ip -n ${NSP}-br link add "p$n" type veth peer name eth0 netns "${NSP}-$n"
		ip -n ${NSP}-br link set "p$n" master br0 up
		nsx "${NSP}-$n" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
		ip -n "${NSP}-$n" addr add "${UIP[$n]}/24" dev eth0
		ip -n "${NSP}-$n" link set eth0 up
	done
}
make_home() { # make_home <node>: identity (vectors for root/a/b, fresh for c/d), planet, local.conf
	local n=$1 h=$OUT/homes/$1 src=$VECTORS/testnet-planet/nodes/$1
	mkdir -p "$h"
	if [ -s "$src/identity.secret" ]; then
		install -m 600 "$src/identity.secret" "$h/identity.secret"
		install -m 644 "$src/identity.public" "$h/identity.public"
	else
		"${IDTOOL[@]}" generate "$h/identity.secret" "$h/identity.public" >/dev/null
		chmod 600 "$h/identity.secret"
	fi
	install -m 644 "$PLANET" "$h/planet"
	cat >"$h/local.conf" <<-EOF
	{ "settings": { "primaryPort": $PORT, "allowSecondaryPort": false, "portMappingEnabled": false,
	                "allowTcpFallbackRelay": false, "softwareUpdate": "disable" } }
	EOF
}
addr_of() { cut -d: -f1 "$OUT/homes/$1/identity.public"; }
start_stock() { # stock zerotier-one in <prefix>-<node>; ip netns exec execs it, so $! is its pid
	ip netns exec "${NSP}-$1" "$ZTONE" -p$PORT "$OUT/homes/$1" >"$OUT/logs/$1.log" 2>&1 </dev/null &
	record_pid "member-$1" $!
	disown $!
}
start_flatnet() { # start_flatnet <node> [extra flatnetd args]
	local n=$1; shift
	ip netns exec "${NSP}-$n" "$FLATNETD" -H "$OUT/homes/$n" --udp "${UIP[$n]}:$PORT" "$@" \
		>"$OUT/logs/$n.log" 2>&1 </dev/null &
	record_pid "member-$n" $!
	disown $!
}
zcli() { local n=$1; shift; nsx "${NSP}-$n" timeout 10 "${ZTCLI[@]}" -D"$OUT/homes/$n" -p$PORT "$@"; }
fcli() { local n=$1; shift; nsx "${NSP}-$n" timeout 10 "$FLATNET" -D"$OUT/homes/$n" -p$PORT "$@"; }
online() { local o; o=$(zcli "$1" info) && [[ $o == *" ONLINE"* ]]; }
net_ok() { local o; o=$("$2" "$1" listnetworks) && [[ $o == *" OK "* ]]; }
has_zip() { ip -n "${NSP}-$1" -4 -o addr show | grep -qF " ${ZIP[$1]}/"; }
api() { # api <METHOD> <path> [json]: the controller's JSON API on the root
	local tok; tok=$(cat "$OUT/homes/root/authtoken.secret")
	local -a data=(); [ $# -lt 3 ] || data=(-d "$3")
	nsx ${NSP}-root curl -sS --max-time 5 -X "$1" -H "X-ZT1-Auth: $tok" "${data[@]}" "http://127.0.0.1:$PORT$2"
}
fapi() { # fapi <node> <METHOD> <path> [json]: a flatnetd member's local API
	local n=$1 tok; tok=$(cat "$OUT/homes/$n/authtoken.secret")
	local -a data=(); [ $# -lt 4 ] || data=(-d "$4")
	nsx "${NSP}-$n" curl -sS --max-time 5 -X "$2" -H "X-ZT1-Auth: $tok" "${data[@]}" "http://127.0.0.1:$PORT$3"
}
# OK by `flatnet listnetworks`, else by GET /network/<nwid> (stock's JSON)
fnet_ok() { net_ok "$1" fcli || fapi "$1" GET "/network/$NWID" | jq -e '.status == "OK"'; }
alive() { pid_of "member-$1" >/dev/null || die "$1 exited; log $OUT/logs/$1.log: $(tail -n 5 "$OUT/logs/$1.log")"; }

network_up() {
	for n in $(zt_nodes); do make_home "$n"; done
	start_stock root
	poll 20 test -s "$OUT/homes/root/authtoken.secret" || die "root: no authtoken.secret"
	poll 20 online root || die "root not ONLINE (log $OUT/logs/root.log)"
	NWID=$(addr_of root)000001
	api POST "/controller/network/$NWID" '{"name": "fnp-bench", "private": true,
	  "enableBroadcast": true, "v4AssignMode": {"zt": true},
	  "v6AssignMode": {"zt": false, "rfc4193": false, "6plane": false},
	  "routes": [{"target": "10.99.100.0/24", "via": null}]}' >"$OUT/logs/network.json"
	jq -e ".id == \"$NWID\"" "$OUT/logs/network.json" >/dev/null || die "network create: $(cat "$OUT/logs/network.json")"
	for n in $(zt_nodes); do
		[ "$n" != root ] || continue
		api POST "/controller/network/$NWID/member/$(addr_of "$n")" \
			"{\"authorized\": true, \"ipAssignments\": [\"${ZIP[$n]}\"]}" >"$OUT/logs/member-$n.json"
		jq -e .authorized "$OUT/logs/member-$n.json" >/dev/null || die "authorize $n failed"
	done
	log "network $NWID on the root's controller; $(zt_nodes | tr '\n' ' ')authorized"
}
stock_up() {
	start_stock a; start_stock b
	for n in a b; do
		poll 20 test -s "$OUT/homes/$n/authtoken.secret" || { alive "$n"; die "$n: no authtoken"; }
		poll 60 online "$n" || { alive "$n"; die "$n: not ONLINE after 60 s"; }
		zcli "$n" join "$NWID" >/dev/null
	done
	for n in a b; do
		poll 30 net_ok "$n" zcli || die "$n: network not OK: $(zcli "$n" listnetworks | tail -n1)"
		poll 15 has_zip "$n" || die "$n: no ${ZIP[$n]}"
	done
	poll 30 nsx ${NSP}-a ping -c1 -W1 "${ZIP[b]}" || die "stock a cannot ping b over ZeroTier"
	log "stock members a, b joined; a pings b"
}
# flatnetd as a member: started, joined through `flatnet join`, and checked
# like stock. Any step failing makes the column "not measurable" (logged,
# recorded), not the whole run.
flatnet_up() { # flatnet_up <setup>
	local n setup=$1 cn=${FN_CLIENT[$1]} sn=${FN_SERVER[$1]}
	[ -x "$FLATNET" ] || { log "flatnet: no $FLATNET"; return 1; }
	for n in $cn $sn; do start_flatnet "$n" ${FN_ARGS[$setup]}; done
	for n in $cn $sn; do
		poll 20 test -s "$OUT/homes/$n/authtoken.secret" || { log "flatnet $n: no authtoken.secret"; return 1; }
		pid_of "member-$n" >/dev/null || { log "flatnet $n exited: $(tail -n 5 "$OUT/logs/$n.log")"; return 1; }
		if ! fcli "$n" join "$NWID" >"$OUT/logs/join-$n.txt" 2>&1; then
			# `flatnet join` missing or failing: the local API's POST /network/<nwid>, as stock's.
			log "flatnet $n: 'flatnet join' failed ($(head -c 120 "$OUT/logs/join-$n.txt" | tr '\n' ' ')); trying POST /network/$NWID"
			local resp
			resp=$(fapi "$n" POST "/network/$NWID" '{}' 2>&1) || true
			echo "$resp" >>"$OUT/logs/join-$n.txt"
			jq -e ".id == \"$NWID\" or .nwid == \"$NWID\"" <<<"$resp" >/dev/null 2>&1 ||
				{ log "flatnet $n: cannot join: $(head -c 200 <<<"$resp")"; return 1; }
		fi
	done
	for n in $cn $sn; do
		poll 40 fnet_ok "$n" || { log "flatnet $n: network not OK: $(fcli "$n" listnetworks 2>&1 | tail -n1)"; return 1; }
		poll 15 has_zip "$n" || { log "flatnet $n: no ${ZIP[$n]} on its tap"; return 1; }
	done
	poll 30 nsx "${NSP}-$cn" ping -c1 -W1 "${ZIP[$sn]}" || { log "$setup: $cn cannot ping $sn"; return 1; }
	log "$setup: flatnetd members $cn, $sn joined; $cn pings $sn"
}

# ---- one measured iperf3 run ----
# measure <setup> <streams> <rep> <client ns> <server ns> <server ip> <member names...>
measure() {
	local setup=$1 streams=$2 rep=$3 cns=$4 sns=$5 sip=$6; shift 6
	local -a members=("$@") before=() after=()
	local m srv0 srv1 ofo0 ofo1 t0 t1 j=$OUT/logs/iperf-$setup-$streams-$rep.json
	for m in "${members[@]}"; do before+=("$(cpu_ticks "member-$m")"); done
	srv0=$(cpu_ticks "iperf-$setup")
	ofo0=$(ofo "$sns")
	t0=$(now_us)
	nsx "$cns" timeout $(( SECONDS_RUN + 20 )) iperf3 -c "$sip" -p $IPERF_PORT -P "$streams" \
		-t "$SECONDS_RUN" -J >"$j" 2>>"$OUT/logs/iperf-client.log" || true
	t1=$(now_us)
	srv1=$(cpu_ticks "iperf-$setup")
	ofo1=$(ofo "$sns")
	for m in "${members[@]}"; do after+=("$(cpu_ticks "member-$m")"); done
	local cpu_json="{" i
	for i in "${!members[@]}"; do
		cpu_json+="\"${members[$i]}\": $(( after[i] - before[i] )),"
	done
	cpu_json+="\"iperf_server\": $(( srv1 - srv0 ))}"
	if ! jq -e '.end.sum_received.bits_per_second' "$j" >/dev/null 2>&1; then
		log "$setup P$streams rep $rep: iperf3 failed: $(jq -r '.error? // empty' "$j" 2>/dev/null | head -c 200)"
		jq -nc --arg s "$setup" --argjson p "$streams" --argjson r "$rep" \
			'{setup: $s, streams: $p, rep: $r, ok: false}' >>"$RESULTS"
		return 0
	fi
	jq -c --arg s "$setup" --argjson p "$streams" --argjson r "$rep" \
		--argjson wall "$(( t1 - t0 ))" --argjson ofo "$(( ofo1 - ofo0 ))" --argjson ticks "$cpu_json" --argjson hz "$(getconf CLK_TCK)" '
		{setup: $s, streams: $p, rep: $r, ok: true,
		 seconds: .end.sum_received.seconds,
		 bps: .end.sum_received.bits_per_second,
		 retransmits: (.end.sum_sent.retransmits // 0),
		 client_cpu_pct: .end.cpu_utilization_percent.host_total,
		 server_cpu_pct_iperf: .end.cpu_utilization_percent.remote_total,
		 receiver_ofo_queue: $ofo,
		 wall_us: $wall, clk_tck: $hz, cpu_ticks: $ticks}' "$j" >>"$RESULTS"
	log "$setup P$streams rep $rep: $(jq -r '.end.sum_received.bits_per_second / 1e9 | . * 1000 | round / 1000' "$j") Gbit/s, ticks $cpu_json"
}
# TcpExtTCPOFOQueue of a namespace (segments the receiver had to queue out of order)
ofo() {
	nsx "$1" awk '/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 } else print $n["TCPOFOQueue"] }' /proc/net/netstat
}
start_iperf_server() { # start_iperf_server <setup> <ns> <ip>
	ip netns exec "$2" iperf3 -s -B "$3" -p $IPERF_PORT >"$OUT/logs/iperf-server-$1.log" 2>&1 </dev/null &
	record_pid "iperf-$1" $!
	disown $!
	poll 5 nsx "$2" sh -c "ss -ltn | grep -q ':$IPERF_PORT '" || die "iperf3 server for $1 did not listen"
}

# ---- the run ----
declare -A READY=()
if want veth; then
	veth_up
	start_iperf_server veth ${NSP}-v2 10.77.0.2
	READY[veth]=1
fi
if [ "$SETUPS" != veth ]; then
	bridge_up
	network_up
fi
if want stock; then
	stock_up
	start_iperf_server stock ${NSP}-b "${ZIP[b]}"
	READY[stock]=1
fi
for setup in "${FN_SETUPS[@]}"; do
	want "$setup" || continue
	if flatnet_up "$setup"; then
		start_iperf_server "$setup" "${NSP}-${FN_SERVER[$setup]}" "${ZIP[${FN_SERVER[$setup]}]}"
		READY[$setup]=1
	else
		log "$setup column: NOT MEASURABLE in this tree (see above); recorded as such"
		jq -nc --arg s "$setup" '{setup: $s, ok: false, reason: "flatnetd members could not join/ping"}' >>"$RESULTS"
	fi
done
if [ -n "${READY[stock]:-}" ]; then
	zcli a -j listpeers >"$OUT/logs/stock-a-peers.json" || true
	log "stock a -> b path: $(jq -r --arg b "$(addr_of b)" '.[] | select(.address == $b) | [.paths[]? | select(.active) | .address] | join(",") | if . == "" then "RELAYED" else "DIRECT " + . end' "$OUT/logs/stock-a-peers.json" 2>/dev/null)"
fi

for rep in $(seq 1 "$REPS"); do
	for streams in 1 8; do
		[ -z "${READY[veth]:-}" ] || measure veth "$streams" "$rep" ${NSP}-v1 ${NSP}-v2 10.77.0.2
		[ -z "${READY[stock]:-}" ] || { alive a; alive b; measure stock "$streams" "$rep" ${NSP}-a ${NSP}-b "${ZIP[b]}" a b root; }
		for setup in "${FN_SETUPS[@]}"; do
			[ -n "${READY[$setup]:-}" ] || continue
			cn=${FN_CLIENT[$setup]}; sn=${FN_SERVER[$setup]}
			alive "$cn"; alive "$sn"
			measure "$setup" "$streams" "$rep" "${NSP}-$cn" "${NSP}-$sn" "${ZIP[$sn]}" "$cn" "$sn" root
		done
	done
done
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
for setup in "${FN_SETUPS[@]}"; do
	[ -n "${READY[$setup]:-}" ] || continue
	# The members' counters (datagrams per call, GSO/GRO use, drops) for the record.
	for n in ${FN_CLIENT[$setup]} ${FN_SERVER[$setup]}; do
		fapi "$n" GET /metrics >"$OUT/logs/metrics-$n.txt" 2>&1 || true
	done
done
log "results: $RESULTS"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 "$HERE/summarize.py" "$OUT" || log "summarize.py failed"
else
	python3 "$HERE/summarize.py" "$OUT" || log "summarize.py failed"
fi
