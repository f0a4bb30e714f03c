// Names of the credential statuses and verification results (credential.hpp).
#include "dataplane/wire/credential.hpp"

namespace flatnet::wire {

const char* to_string(CredentialStatus s) {
  switch (s) {
    case CredentialStatus::kOk: return "ok";
    case CredentialStatus::kTruncated: return "credential truncated";
    case CredentialStatus::kBadFormat: return "unknown COM format";
    case CredentialStatus::kQualifierOrder: return "COM qualifiers out of order";
    case CredentialStatus::kTooManyQualifiers: return "too many COM qualifiers";
    case CredentialStatus::kTooManyRules: return "too many capability rules";
    case CredentialStatus::kBadRule: return "bad rule in capability";
    case CredentialStatus::kBadCustodyLength: return "bad custody chain length";
    case CredentialStatus::kChainTooLong: return "custody chain longer than its maximum";
    case CredentialStatus::kBadSignatureLength: return "bad signature length";
    case CredentialStatus::kTooManyThings: return "too many owned things";
    case CredentialStatus::kTooManyCredentials: return "too many credentials in one section";
  }
  return "?";
}

const char* to_string(VerifyResult r) {
  switch (r) {
    case VerifyResult::kOk: return "ok";
    case VerifyResult::kBadSignature: return "bad signature";
    case VerifyResult::kWrongSigner: return "not signed by the network's controller";
    case VerifyResult::kBadChain: return "broken custody chain";
    case VerifyResult::kNeedIdentity: return "signer identity unknown";
  }
  return "?";
}

}  // namespace flatnet::wire
