// The /controller routes of flatnetd's local API: stock 1.14.1's paths,
// status codes, JSON and quirks (docs/controller-api.md) on a controller
// Store. A change is one store transaction: stored whole or not at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace httplib {
class Server;
}

namespace flatnet::control::controller::store {
class Store;
}

namespace flatnet::control::api {

// What the routes need of the controller: its store (must outlive the
// server) and its address, the prefix of the network IDs it creates.
struct ControllerAccess {
  controller::store::Store* store = nullptr;
  uint64_t address = 0;
};

// Registers the routes on `s` and raises its body limit to
// kControllerMaxBody (network bodies carry rule sets). Writes through any
// server of the process are serialized (read, apply the body, store).
void add_controller_routes(httplib::Server& s, const ControllerAccess& c);

// Request bodies up to 4 MiB: a network at the 16,384-rule limit is about
// 1.2 MB of JSON. Only authenticated requests have their body read.
inline constexpr size_t kControllerMaxBody = 4u << 20;

// True for the paths stock's controller answers; their 400/404 answers keep
// stock's empty body, so the API's error handler must leave them alone.
bool is_controller_path(const std::string& path);

}  // namespace flatnet::control::api
