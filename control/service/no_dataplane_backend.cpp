// make_dataplane_backend for a build without DPDK's headers (meson
// -Ddataplane=disabled or no libdpdk-dev): flatnetd still runs on a kernel
// socket (--udp) and says clearly why --dataplane cannot work.
#include "control/service/backend.hpp"

namespace flatnet::control::service {

std::unique_ptr<Backend> make_dataplane_backend(const std::string& instance, std::string* err) {
  *err = "cannot attach to data plane '" + instance +
         "': this flatnetd was built without the data plane (DPDK headers); use --udp";
  return nullptr;
}

}  // namespace flatnet::control::service
