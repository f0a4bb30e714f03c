// Shared by the store tests: a temporary directory removed afterwards, and
// small record builders.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "control/controller/member.hpp"
#include "control/controller/network.hpp"

namespace flatnet::control::controller::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flatnet-ctl-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    if (p) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline constexpr uint64_t kNwid = 0xee420f0cda000001ULL;

inline Network make_network(uint64_t id = kNwid, const std::string& name = "net") {
  Network n;
  n.id = id;
  n.name = name;
  n.creation_time = 1795571972850;
  n.routes.push_back({"10.99.0.0/16", std::nullopt});
  n.ip_assignment_pools.push_back({"10.99.0.1", "10.99.255.254"});
  n.v4_assign_zt = true;
  return n;
}

inline Member make_member(uint64_t address, uint64_t nwid = kNwid) {
  Member m;
  m.nwid = nwid;
  m.address = address;
  m.creation_time = 1795571972878;
  m.ip_assignments.push_back("10.99." + std::to_string((address >> 8) & 0xff) + "." +
                             std::to_string(address & 0xff));
  m.identity = format_member_address(address) + ":0:" + std::string(128, 'a');
  return m;
}

}  // namespace flatnet::control::controller::testing
