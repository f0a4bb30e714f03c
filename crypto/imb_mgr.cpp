// Per-thread ipsec-mb manager (see imb_mgr.hpp).
#include "crypto/imb_mgr.hpp"

#include <cstdlib>

#include <sodium.h>

#include "crypto/armor.hpp"

namespace flatnet::crypto::detail {
namespace {

struct MgrHolder {
  IMB_MGR* mgr = nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  MgrHolder() {
    mgr = alloc_mb_mgr(0);
    if (mgr == nullptr) std::abort();  // out of memory at start-up: nothing sane to do
    init_mb_mgr_auto(mgr, &arch);
  }
  ~MgrHolder() { free_mb_mgr(mgr); }
};

MgrHolder& holder() {
  thread_local MgrHolder h;
  return h;
}

const char* arch_name(IMB_ARCH a) {
  switch (a) {
    case IMB_ARCH_NOAESNI: return "no-aesni";
    case IMB_ARCH_SSE: return "sse";
    case IMB_ARCH_AVX: return "avx";
    case IMB_ARCH_AVX2: return "avx2";
    case IMB_ARCH_AVX512: return "avx512";
    default: return "none";
  }
}

}  // namespace

IMB_MGR* imb_mgr() { return holder().mgr; }

std::string imb_description() {
  MgrHolder& h = holder();
  const uint64_t f = h.mgr->features;
  std::string s = std::string("ipsec-mb ") + imb_get_version_str() + " arch=" + arch_name(h.arch);
  struct { uint64_t bit; const char* name; } names[] = {
      {IMB_FEATURE_AESNI, "aesni"},     {IMB_FEATURE_PCLMULQDQ, "pclmulqdq"},
      {IMB_FEATURE_AVX2, "avx2"},       {IMB_FEATURE_AVX512F, "avx512f"},
      {IMB_FEATURE_VAES, "vaes"},       {IMB_FEATURE_VPCLMULQDQ, "vpclmulqdq"},
      {IMB_FEATURE_SHANI, "shani"},     {IMB_FEATURE_GFNI, "gfni"},
  };
  s += " features=";
  bool first = true;
  for (const auto& n : names) {
    if (f & n.bit) {
      if (!first) s += ',';
      s += n.name;
      first = false;
    }
  }
  return s;
}

bool imb_run_job(IMB_MGR* mgr) {
  // Unchecked submit: our jobs have a fixed shape (AES-256, ECB of one block
  // or CTR of 1..n bytes with a 16-byte counter block) that the unit tests
  // exercise, and the parameter check costs ~15 ns per job, a tenth of a
  // small packet's armor.
  IMB_JOB* done = IMB_SUBMIT_JOB_NOCHECK(mgr);
  // ECB and CTR complete synchronously; flush in case a future library
  // version queues them.
  while (done == nullptr) {
    if (imb_get_errno(mgr) != 0) return false;
    done = IMB_FLUSH_JOB(mgr);
    if (done == nullptr) return false;
  }
  return done->status == IMB_STATUS_COMPLETED;
}

}  // namespace flatnet::crypto::detail

namespace flatnet::crypto {

std::string backend_description() {
  std::string s = detail::imb_description();
  s += "; libsodium ";
  s += sodium_version_string();
  s += " (avx2=";
  s += sodium_runtime_has_avx2() ? "yes" : "no";
  s += " avx512f=";
  s += sodium_runtime_has_avx512f() ? "yes" : "no";
  s += ")";
  return s;
}

}  // namespace flatnet::crypto
