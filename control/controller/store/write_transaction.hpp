// The one shape of every writing call of the SQL stores (sqlite_store,
// pg_store; store.hpp: each change is one transaction, nothing of a refused
// or failed call is kept): begin, make the change, then commit when the
// change returned kOk, else roll back and return the change's status.
//
// A store provides, privately (it befriends this function):
//   Status begin_write(std::string* err);  its BEGIN (SQLite: IMMEDIATE, the
//                                           write lock at once; PostgreSQL:
//                                           the writers' advisory lock and
//                                           where the journal stands)
//   Status commit(std::string* err);       rolls back itself if it fails
//   void rollback();
// The caller holds the store's mutex.
#pragma once

#include <string>

#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

template <class Db, class Change>
Status write_transaction(Db& db, std::string* err, Change&& change) {
  if (Status st = db.begin_write(err); st != Status::kOk) return st;
  const Status st = change();
  if (st != Status::kOk) {
    db.rollback();
    return st;
  }
  return db.commit(err);
}

}  // namespace flatnet::control::controller::store
