// Stock's controller API on the Store: each handler reads the record, applies
// the body as stock would (controller_post.hpp), reads the result back as a
// record (which refuses what flatnet refuses, e.g. lists over 16,384
// entries: 400) and stores it in one call. Writes of this process are
// serialized so two POSTs to one record cannot lose each other's change.
#include "control/api/controller_routes.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include <httplib.h>

#include "control/api/controller_post.hpp"
#include "control/api/stock_json.hpp"
#include "control/controller/store/store.hpp"

namespace flatnet::control::api {

namespace {

using nlohmann::json;
namespace ctl = flatnet::control::controller;
using ctl::store::Status;

constexpr const char* kNetworkList = "/controller/network";
constexpr const char* kNetworkList2 = "/unstable/controller/network";
constexpr const char* kNetwork = "/controller/network/([0-9a-fA-F]{16})";
constexpr const char* kNetworkCreateOld = "/controller/network/([0-9a-fA-F]{10})______";
constexpr const char* kMemberList = "/controller/network/([0-9a-fA-F]{16})/member";
constexpr const char* kMemberList2 = "/unstable/controller/network/([0-9a-fA-F]{16})/member";
constexpr const char* kMember = "/controller/network/([0-9a-fA-F]{16})/member/([0-9a-fA-F]{10})";
constexpr int kApiVersion = 4;        // stock's ZT_NETCONF_CONTROLLER_API_VERSION
constexpr int kCreateTries = 100000;  // stock's bound on random network IDs tried
constexpr size_t kListPage = 1000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Stock's setContent: JSONP when asked, "{}" for no content.
void content(const httplib::Request& req, httplib::Response& res, const std::string& body) {
  if (req.has_param("jsonp")) {
    res.set_content(req.get_param_value("jsonp") + "(" + (body.empty() ? "null" : body) + ");",
                    "application/javascript");
  } else {
    res.set_content(body.empty() ? "{}" : body, "application/json");
  }
}

void fail(httplib::Response& res, int status, const std::string& why) {
  res.status = status;
  res.set_content(json{{"error", status}, {"description", why}}.dump(), "application/json");
}

// A store failure other than "not found": a refused record is the client's
// (400, the documented difference for lists over the limit), the rest 500.
void store_failed(httplib::Response& res, Status st, const std::string& err) {
  fail(res, st == Status::kInvalid ? 400 : 500,
       err.empty() ? ctl::store::status_name(st) : err);
}

// How deep a body's arrays and objects may nest. Stock's records nest five
// levels (network, capabilities, rules, a rule, its fields); a deeper body
// is refused before parsing, because rendering or comparing JSON recurses
// once per level and a few hundred thousand levels overflow a thread's stack.
constexpr size_t kMaxBodyDepth = 64;

bool nesting_within(const std::string& text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// The request body as JSON: a body nested too deep is answered 400 here
// (false); one that does not parse throws, which the API answers with
// stock's 500.
bool body_json(const httplib::Request& req, httplib::Response& res, json& out) {
  if (!nesting_within(req.body, kMaxBodyDepth)) {
    fail(res, 400, "request body nested deeper than " + std::to_string(kMaxBodyDepth) + " levels");
    return false;
  }
  out = json::parse(req.body);
  return true;
}

uint64_t hex(const httplib::Request& req, int i) {
  return stock::hex_to_uint(req.matches[i].str());
}

// One read-modify-write at a time in this process, whichever loopback
// server (IPv4, IPv6) the request came in on. Other API instances on the
// same database (PostgreSQL) are not serialized with these, as stock's
// several API processes are not.
std::mutex g_write_mu;

struct Context {
  ControllerAccess c;
  std::mutex& write_mu = g_write_mu;
  std::mt19937_64 rng{std::random_device{}()};

  ctl::store::Store& db() { return *c.store; }

  // A free ID under the controller's prefix, as stock picks it (24 random
  // low bits, never all zero); 0 when none was found.
  uint64_t free_network_id(std::string* err, Status* st) {
    const uint64_t prefix = (c.address << 24) & 0xffffffffff000000ull;
    for (int k = 0; k < kCreateTries; ++k) {
      uint64_t id = prefix | (rng() & 0xffffffull);
      if ((id & 0xffffffull) == 0) id |= 1;
      ctl::Network n;
      *st = db().get_network(id, n, err);
      if (*st == Status::kNotFound) {
        *st = Status::kOk;
        return id;
      }
      if (*st != Status::kOk) return 0;
    }
    *st = Status::kOk;
    return 0;
  }

  // POST to a network (also how networks are created): 200 + the record.
  void post_network(const httplib::Request& req, httplib::Response& res, uint64_t nwid) {
    json body;
    if (!body_json(req, res, body)) return;
    const int64_t now = now_ms();
    ctl::Network cur;
    std::string err;
    Status st = db().get_network(nwid, cur, &err);
    if (st == Status::kNotFound) {
      cur = ctl::Network{};
      cur.id = nwid;
      cur.creation_time = now;
    } else if (st != Status::kOk) {
      return store_failed(res, st, err);
    }
    ctl::Network next;
    if (!ctl::network_from_json(network_post(ctl::network_to_json(cur), body), now, next, &err))
      return fail(res, 400, err);
    next.id = nwid;
    ctl::store::PutResult put;
    if ((st = db().put_network(next, &put, &err)) != Status::kOk) return store_failed(res, st, err);
    next.revision = put.revision;
    content(req, res, ctl::network_to_json(next).dump());
  }

  void create_network(const httplib::Request& req, httplib::Response& res) {
    std::string err;
    Status st;
    const uint64_t nwid = free_network_id(&err, &st);
    if (st != Status::kOk) return store_failed(res, st, err);
    if (!nwid) {
      res.status = 503;
      return;
    }
    post_network(req, res, nwid);
  }

  void post_member(const httplib::Request& req, httplib::Response& res) {
    const uint64_t nwid = hex(req, 1), addr = hex(req, 2);
    ctl::Network net;
    std::string err;
    Status st = db().get_network(nwid, net, &err);
    if (st == Status::kNotFound) {
      res.status = 404;
      return;
    }
    if (st != Status::kOk) return store_failed(res, st, err);
    const int64_t now = now_ms();
    ctl::Member cur;
    st = db().get_member(nwid, addr, cur, &err);
    if (st == Status::kNotFound) {
      cur = ctl::Member{};
      cur.nwid = nwid;
      cur.address = addr;
      cur.creation_time = now;
    } else if (st != Status::kOk) {
      return store_failed(res, st, err);
    }
    json body;  // read after the network check, as stock
    if (!body_json(req, res, body)) return;
    ctl::Member next;
    if (!ctl::member_from_json(member_post(ctl::member_to_json(cur), body, now), now, next, &err))
      return fail(res, 400, err);
    next.nwid = nwid;
    next.address = addr;
    ctl::store::PutResult put;
    st = db().put_member(next, &put, &err);
    if (st == Status::kNotFound) {  // the network went away meanwhile
      res.status = 404;
      return;
    }
    if (st != Status::kOk) return store_failed(res, st, err);
    next.revision = put.revision;
    content(req, res, ctl::member_to_json(next).dump());
  }

  // Every member of a network, page by page; false + the response set on
  // failure (404 for an unknown network, as stock).
  bool all_members(uint64_t nwid, httplib::Response& res, std::vector<ctl::Member>& out) {
    ctl::Network net;
    std::string err;
    Status st = db().get_network(nwid, net, &err);
    if (st == Status::kNotFound) {
      res.status = 404;
      return false;
    }
    if (st != Status::kOk) {
      store_failed(res, st, err);
      return false;
    }
    uint64_t after = 0;
    for (;;) {
      ctl::store::MemberPage page;
      if ((st = db().list_members(nwid, after, kListPage, page, &err)) != Status::kOk) {
        store_failed(res, st, err);
        return false;
      }
      for (auto& m : page.members) out.push_back(std::move(m));
      if (!page.next_after) return true;
      after = *page.next_after;
    }
  }
};

}  // namespace

bool is_controller_path(const std::string& path) {
  return path.rfind("/controller", 0) == 0 || path.rfind("/unstable/controller", 0) == 0;
}

void add_controller_routes(httplib::Server& s, const ControllerAccess& access) {
  auto cx = std::make_shared<Context>();
  cx->c = access;
  s.set_payload_max_length(kControllerMaxBody);

  s.Get("/controller", [](const httplib::Request& req, httplib::Response& res) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "{\n\t\"controller\": true,\n\t\"apiVersion\": %d,\n\t\"clock\": %lld,\n\t"
                  "\"databaseReady\": true\n}\n",
                  kApiVersion, (long long)now_ms());
    content(req, res, buf);
  });

  s.Get(kNetworkList, [cx](const httplib::Request& req, httplib::Response& res) {
    std::vector<uint64_t> ids;
    std::string err;
    if (Status st = cx->db().list_networks(ids, &err); st != Status::kOk)
      return store_failed(res, st, err);
    std::sort(ids.begin(), ids.end());
    json out = json::array();
    for (uint64_t id : ids) out.push_back(stock::hex16(id));
    content(req, res, out.dump());
  });

  s.Get(kNetworkList2, [cx](const httplib::Request& req, httplib::Response& res) {
    std::vector<uint64_t> ids;
    std::string err;
    if (Status st = cx->db().list_networks(ids, &err); st != Status::kOk)
      return store_failed(res, st, err);
    std::sort(ids.begin(), ids.end());
    json data = json::array();
    for (uint64_t id : ids) {
      ctl::Network n;
      ctl::store::MemberCounts counts;
      if (cx->db().get_network(id, n, &err) != Status::kOk) continue;  // deleted meanwhile
      if (Status st = cx->db().count_members(id, counts, &err); st != Status::kOk)
        return store_failed(res, st, err);
      json j = ctl::network_to_json(n);
      j["meta"] = json{{"totalMemberCount", counts.total},
                       {"authorizedMemberCount", counts.authorized}};
      data.push_back(std::move(j));
    }
    const size_t count = data.size();
    content(req, res, json{{"data", std::move(data)}, {"meta", {{"networkCount", count}}}}.dump());
  });

  auto create = [cx](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lk(cx->write_mu);
    cx->create_network(req, res);
  };
  s.Post(kNetworkList, create);
  s.Put(kNetworkList, create);

  auto create_old = [cx](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1].str() != stock::hex10(cx->c.address)) {
      res.status = 400;
      return;
    }
    std::lock_guard lk(cx->write_mu);
    cx->create_network(req, res);
  };
  s.Post(kNetworkCreateOld, create_old);
  s.Put(kNetworkCreateOld, create_old);

  s.Get(kNetwork, [cx](const httplib::Request& req, httplib::Response& res) {
    ctl::Network n;
    std::string err;
    Status st = cx->db().get_network(hex(req, 1), n, &err);
    if (st == Status::kNotFound) {
      res.status = 404;
      return;
    }
    if (st != Status::kOk) return store_failed(res, st, err);
    content(req, res, ctl::network_to_json(n).dump());
  });

  auto post_network = [cx](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lk(cx->write_mu);
    cx->post_network(req, res, hex(req, 1));
  };
  s.Post(kNetwork, post_network);
  s.Put(kNetwork, post_network);

  s.Delete(kNetwork, [cx](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lk(cx->write_mu);
    const uint64_t nwid = hex(req, 1);
    ctl::Network n;
    std::string err;
    Status st = cx->db().get_network(nwid, n, &err);
    if (st == Status::kNotFound) {
      res.status = 404;
      return;
    }
    if (st == Status::kOk) st = cx->db().delete_network(nwid, &err);
    if (st != Status::kOk) return store_failed(res, st, err);
    content(req, res, ctl::network_to_json(n).dump());
  });

  s.Get(kMemberList, [cx](const httplib::Request& req, httplib::Response& res) {
    std::vector<ctl::Member> ms;
    if (!cx->all_members(hex(req, 1), res, ms)) return;
    json out = json::object();
    for (const auto& m : ms) out[ctl::format_member_address(m.address)] = m.revision;
    content(req, res, out.dump());
  });

  s.Get(kMemberList2, [cx](const httplib::Request& req, httplib::Response& res) {
    std::vector<ctl::Member> ms;
    if (!cx->all_members(hex(req, 1), res, ms)) return;
    json data = json::array();
    uint64_t authorized = 0;
    for (const auto& m : ms) {
      authorized += m.authorized;
      data.push_back(ctl::member_to_json(m));
    }
    json meta{{"totalCount", ms.size()}, {"authorizedCount", authorized}};
    content(req, res, json{{"data", std::move(data)}, {"meta", std::move(meta)}}.dump());
  });

  s.Get(kMember, [cx](const httplib::Request& req, httplib::Response& res) {
    ctl::Member m;
    std::string err;
    Status st = cx->db().get_member(hex(req, 1), hex(req, 2), m, &err);
    if (st == Status::kNotFound) {
      res.status = 404;
      return;
    }
    if (st != Status::kOk) return store_failed(res, st, err);
    content(req, res, ctl::member_to_json(m).dump());
  });

  auto post_member = [cx](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lk(cx->write_mu);
    cx->post_member(req, res);
  };
  s.Post(kMember, post_member);
  s.Put(kMember, post_member);

  s.Delete(kMember, [cx](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lk(cx->write_mu);
    const uint64_t nwid = hex(req, 1), addr = hex(req, 2);
    ctl::Member m;
    std::string err;
    Status st = cx->db().get_member(nwid, addr, m, &err);
    if (st == Status::kNotFound) {
      res.status = 404;
      return;
    }
    if (st == Status::kOk) st = cx->db().delete_member(nwid, addr, &err);
    if (st != Status::kOk) return store_failed(res, st, err);
    content(req, res, ctl::member_to_json(m).dump());
  });
}

}  // namespace flatnet::control::api
