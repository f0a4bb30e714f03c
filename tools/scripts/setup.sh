#!/usr/bin/env bash
# Installs everything flatnet needs on Debian 12 and reserves hugepages when
# the machine allows it. Idempotent; safe to run on every test or demo run.
#   FLATNET_HUGEPAGES=N   2 MiB pages to reserve (default 1024 = 2 GiB)
#   FLATNET_SKIP_APT=1    do not touch packages (already installed)
set -euo pipefail

PACKAGES=(
  build-essential pkg-config meson ninja-build
  clang libclang-rt-14-dev llvm   # the sanitizer build and libFuzzer; llvm: llvm-symbolizer for reports
  dpdk dpdk-dev libdpdk-dev libsodium-dev libipsec-mb-dev libssl-dev liblz4-dev libpcap-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  iproute2 iputils-ping ethtool nftables iptables tcpdump tcpreplay netsniff-ng python3 python3-matplotlib
  libmnl-dev
)
# The controller's embedded store (control/controller/store/), and its
# PostgreSQL backend: libpq to build, the server for the 'pg' test suite
# (tools/scripts/pg-test-server.sh starts its own; nothing is left running).
PACKAGES+=(libsqlite3-dev libpq-dev postgresql-15)
# The member benchmark (tools/bench/member/run.sh): iperf3, the stock controller's API.
PACKAGES+=(iperf3 jq curl)

log() { printf 'flatnet-setup: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "not root and no sudo: cannot install packages or reserve hugepages"; fi
fi

if [ "${FLATNET_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "all ${#PACKAGES[@]} packages present"
  fi
fi

# Hugepages: DPDK runs faster with them; everything also runs with
# --no-huge --in-memory, which the scripts choose when none are available.
want=${FLATNET_HUGEPAGES:-1024}
nr=/proc/sys/vm/nr_hugepages
if [ -w "$nr" ] || [ -n "$SUDO" ]; then
  have=$(cat "$nr")
  if [ "$have" -lt "$want" ]; then
    echo "$want" | $SUDO tee "$nr" >/dev/null 2>&1 || true
  fi
  have=$(cat "$nr")
  if ! grep -qs ' hugetlbfs ' /proc/mounts; then
    $SUDO mkdir -p /dev/hugepages && $SUDO mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  fi
  if [ "$have" -gt 0 ] && grep -qs ' hugetlbfs ' /proc/mounts; then
    log "hugepages: $have x 2 MiB reserved, hugetlbfs mounted"
  else
    log "hugepages: could not reserve or mount (have $have); DPDK will run with --no-huge --in-memory"
  fi
else
  log "hugepages: $nr is not writable; DPDK will run with --no-huge --in-memory"
fi
