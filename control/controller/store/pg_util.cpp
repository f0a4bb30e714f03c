#include "control/controller/store/pg_util.hpp"

#include <cctype>
#include <cstdlib>

namespace flatnet::control::controller::store::pg {

namespace {

void quiet(void*, const char*) {}  // NOTICEs ("already exists, skipping") are not errors

std::string one_line(const char* m) {
  std::string s = m ? m : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& ch : s)
    if (ch == '\n') ch = ' ';
  return s;
}

}  // namespace

Conn connect(const std::string& conninfo, std::string* err) {
  // Our defaults come first and the caller's string (expanded from
  // `dbname`) after, so anything it says wins.
  const char* keys[] = {"connect_timeout",  "keepalives",       "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "application_name", "dbname",           nullptr};
  const char* vals[] = {"10", "1", "3", "1", "3", "5000", "flatnetd", conninfo.c_str(), nullptr};
  Conn c(PQconnectdbParams(keys, vals, 1));
  if (!c) {
    if (err) *err = "postgresql: out of memory";
    return nullptr;
  }
  if (PQstatus(c.get()) != CONNECTION_OK) {
    if (err) *err = "postgresql: " + message(c.get());
    return nullptr;
  }
  PQsetNoticeProcessor(c.get(), quiet, nullptr);
  return c;
}

bool is_conninfo(std::string_view s) {
  if (s.starts_with("postgresql://") || s.starts_with("postgres://")) return true;
  // key=value: a word, then '=' (a file path has a '/' or '.' first).
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  std::size_t start = i;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i > start && i < s.size() && s[i] == '=';
}

std::string message(PGconn* c) { return one_line(c ? PQerrorMessage(c) : "no connection"); }

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> p;
  p.reserve(vals_.size());
  for (const auto& v : vals_) p.push_back(v ? v->c_str() : nullptr);
  return p;
}

int64_t Result::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

std::string Result::error() const {
  if (!r_) return "no result (connection lost?)";
  return one_line(PQresultErrorMessage(r_));
}

Result exec(PGconn* c, const char* sql, const Params& p) {
  std::vector<const char*> v = p.pointers();
  return Result(PQexecParams(c, sql, p.size(), nullptr, v.data(), nullptr, nullptr, 0));
}

bool exec_ok(PGconn* c, const char* sql, std::string* err) {
  Result r(PQexec(c, sql));
  if (r.ok()) return true;
  if (err) *err = r.error().empty() ? message(c) : r.error();
  return false;
}

}  // namespace flatnet::control::controller::store::pg
