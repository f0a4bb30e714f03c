// Helpers shared by the ipc tests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>

namespace flatnet::test {

// A segment name no other test (or test run) uses.
inline std::string ipc_unique_instance(const std::string& what) {
  static std::atomic<unsigned> n{0};
  return "t" + std::to_string(getpid()) + "-" + what + "-" + std::to_string(n++);
}

}  // namespace flatnet::test
