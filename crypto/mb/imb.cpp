// The per-thread ipsec-mb manager, allocated on first use in each thread.
#include "crypto/mb/imb.hpp"

#include <cstdio>
#include <cstdlib>

namespace flatnet::crypto::mb::detail {
namespace {

struct MgrHolder {
  IMB_MGR* mgr = nullptr;
  MgrHolder() {
    mgr = alloc_mb_mgr(0);
    if (mgr == nullptr) {
      std::fprintf(stderr, "flatnet: ipsec-mb manager allocation failed\n");
      std::abort();
    }
    init_mb_mgr_auto(mgr, nullptr);
  }
  ~MgrHolder() { free_mb_mgr(mgr); }
};

}  // namespace

IMB_MGR* imb() {
  thread_local MgrHolder holder;
  return holder.mgr;
}

}  // namespace flatnet::crypto::mb::detail
