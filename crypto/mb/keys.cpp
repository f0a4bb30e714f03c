// PeerKeyset: everything derived once per peer. The AES-256 schedules of
// K0 = KBKDF(K,'0')[0..31] and K1 = KBKDF(K,'1')[0..31] (spec §1.8) are
// expanded here by ipsec-mb, never per packet.
#include <sodium.h>

#include "crypto/mb/aes_keys.hpp"
#include "crypto/mb/burst.hpp"
#include "crypto/mb/imb.hpp"

namespace flatnet::crypto::mb {

PeerKeyset::PeerKeyset(const SharedKey& key48) : key48_(key48), aes_(std::make_unique<Aes>()) {
  uint8_t k0[48], k1[48];
  kbkdf_hmac_sha384(key48, '0', k0);
  kbkdf_hmac_sha384(key48, '1', k1);
  IMB_MGR* mgr = detail::imb();
  IMB_AES256_GCM_PRE(mgr, k0, &aes_->k0_gcm);
  IMB_AES_KEYEXP_256(mgr, k1, aes_->k1_enc, aes_->k1_dec);
  sodium_memzero(k0, sizeof k0);
  sodium_memzero(k1, sizeof k1);
}

PeerKeyset::~PeerKeyset() { sodium_memzero(aes_.get(), sizeof(Aes)); }

}  // namespace flatnet::crypto::mb
