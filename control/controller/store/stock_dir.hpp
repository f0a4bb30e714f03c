// Stock's file controller database (FileDB) as a directory:
//   <dir>/network/<nwid>.json                      one per network
//   <dir>/network/<nwid>/member/<address>.json     one per member
// each file the record's compact JSON with sorted keys, no trailing newline.
// Importing moves a stock controller.d into a store; exporting writes one
// back that stock reads, so a controller can move to flatnet and back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/controller/store/store.hpp"

namespace flatnet::control::controller::store {

struct ImportStats {
  uint64_t networks = 0;
  uint64_t members = 0;
  // Names stock itself would not read (wrong length or suffix), skipped as
  // stock skips them; reported so nothing is dropped silently.
  std::vector<std::string> skipped;
};

// Reads every record of `dir` (a controller.d) and stores them in one
// transaction, revisions as they are. Any file that is not a valid record
// (bad JSON, wrong types, an id that disagrees with its file name) fails the
// whole import with *err naming the file; nothing is stored then. `now_ms`
// fills creationTime where a record lacks it.
Status import_stock_dir(Store& store, const std::string& dir, int64_t now_ms, ImportStats* stats,
                        std::string* err);

// Writes every network and member of `store` under `dir` (created 0700, as
// stock locks its controller.d down; must not already hold a network/
// directory), files 0600.
Status export_stock_dir(Store& store, const std::string& dir, std::string* err);

}  // namespace flatnet::control::controller::store
