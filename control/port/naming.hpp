// The tap's device name as stock ZeroTier 1.14.1 picks it on Linux, so a
// home moved between stock and flatnet keeps its interface names (and the
// firewall rules and scripts that name them):
//
//   1. the home's `devicemap` (lines `<16-hex nwid>=<name>`) names it, when
//      no device of that name exists right now;
//   2. otherwise `zt` + base32 (a-z2-7) of the 40 bits of
//      nwid ^ (nwid >> 24), adding 1 to that value (trial 1, 2, ...) while a
//      device of the name exists.
//
// One exception to 2: a device that is our own tap, closed but not yet gone
// (`departing`), is no collision. The kernel removes a tap when the last
// file of each of its queues is released -- a queue thread still in a read,
// a close deferred to another thread -- so a network left and joined again
// at once can find its old device still there. Stock's rule would give the
// re-joined network "+1", and the devicemap would then keep that name for
// good; flatnet keeps the name and waits for the old device to go.
//
// Stock reads `devicemap` on Linux and writes it on macOS (`nwid=name\n`
// per entry, sorted by nwid); flatnet reads it the same way and writes it in
// the macOS writer's form when a name was chosen, so a name that needed a
// collision bump stays the same across restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace flatnet::control::port {

inline constexpr size_t kMaxIfNameLen = 15;  // IFNAMSIZ - 1

// "zt" + 8 base32 characters for (nwid ^ (nwid >> 24)) + trial, low 40 bits.
std::string tap_name(uint64_t nwid, uint64_t trial = 0);

// A Linux interface name: 1..15 bytes, printable, no '/', ':', '%' or
// white space, not "." or "..". Devicemap entries failing this are ignored (stock
// would hand them to the kernel truncated).
bool valid_ifname(std::string_view name);

// "16 lowercase hex nwid" -> device name.
using DeviceMap = std::map<std::string, std::string>;

// Stock's reading: each line split at '\r', '\n' and '=' (empty fields
// skipped); the first two fields, when both are present, are nwid and name;
// a later line for the same nwid wins.
DeviceMap parse_devicemap(std::string_view text);
std::string format_devicemap(const DeviceMap& map);

// <home>/devicemap; a missing file is an empty map. nullopt (and *err) only
// when the file exists and cannot be read.
std::optional<DeviceMap> read_devicemap(const std::string& home, std::string* err);
// Written whole to a temporary file and renamed over the old one.
bool write_devicemap(const std::string& home, const DeviceMap& map, std::string* err);

// Names of taps this process closed whose devices may still exist.
using DepartingTaps = std::set<std::string>;

// The name for `nwid`'s tap. `exists` says whether a device of that name is
// present (device_exists() for the real thing); a name in `departing`
// counts as free (wait_device_gone before creating it). Gives up after 256
// bumps and returns "" -- only reachable when something creates names on
// purpose.
std::string choose_tap_name(uint64_t nwid, const DeviceMap& map,
                            const std::function<bool(const std::string&)>& exists,
                            const DepartingTaps& departing = {});

// Polls `exists` until the device is gone or `budget` has passed; true if
// it is gone. For a departing tap of ours whose name is wanted again.
bool wait_device_gone(const std::string& name, std::chrono::milliseconds budget,
                      const std::function<bool(const std::string&)>& exists);

// True when an interface of this name exists in this process's network
// namespace (stock checks /proc/sys/net/ipv4/conf/<name>; the interface
// index says the same without needing IPv4 on the device).
bool device_exists(const std::string& name);

std::string nwid_hex(uint64_t nwid);  // 16 lowercase hex digits

}  // namespace flatnet::control::port
