// What a statement may leave in its server session that proxyd cannot rebuild
// on a new connection: temporary tables, named locks (GET_LOCK), table locks
// (LOCK TABLES, FLUSH TABLES .. WITH READ LOCK | FOR EXPORT), tables opened with HANDLER,
// backup locks (BACKUP STAGE, BACKUP LOCK), SQL prepared statements (PREPARE);
// and the user variables it assigns outside SET, whose values proxyd never sees (it reads them back
// when another server session needs them). Variables set with SET, the database and prepared
// statements are replayed or re-prepared instead (SPEC §2 "Nothing is lost silently"). A stored
// program's own assignments are not seen.
//
// Read from the statement text, so it errs towards "held": a GET_LOCK that
// timed out still counts, and only UNLOCK TABLES, RELEASE_ALL_LOCKS(), BACKUP STAGE END
// and BACKUP UNLOCK let go (one RELEASE_LOCK, HANDLER .. CLOSE or DROP TEMPORARY TABLE
// may not be the last); a reset lets go of everything. Pure
// functions; thread-safe.
#ifndef OBP_PROXYD_SQL_HELD_STATE_H_
#define OBP_PROXYD_SQL_HELD_STATE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace obp::sql {

enum HeldBit : uint8_t {
  kHeldTempTables = 1 << 0,
  kHeldNamedLocks = 1 << 1,
  kHeldTableLocks = 1 << 2,
  kHeldHandlers = 1 << 3,     // HANDLER t OPEN
  kHeldBackupStage = 1 << 4,  // BACKUP STAGE START .. BACKUP STAGE END
  kHeldBackupLock = 1 << 5,   // BACKUP LOCK t .. BACKUP UNLOCK
};

// How a COM_QUERY changes what its server session holds: bits it adds (applied
// even when the query ends in an error: a multi-statement query may fail after
// the part that created a temporary table) and bits it clears (applied only
// when it all succeeded).
// `assigned_vars`: the user variables a statement other than SET gives a value
// (`SELECT @a := 1`, `SELECT .. INTO @a, @b`, `CALL p(@out)`), as "@name" (the
// name as sql::UserVariableName gives it), in text order, repeats kept.
// `prepares`: SQL prepared statements, `PREPARE s FROM ..` (true) and `DEALLOCATE |
// DROP PREPARE s` (false), by lower-cased name (their names ignore case), in text
// order. COM_STMT_PREPARE's statements are not among them: proxyd prepares those
// again itself.
struct HeldChange {
  uint8_t adds = 0;
  uint8_t clears = 0;
  std::vector<std::string> assigned_vars;
  std::vector<std::pair<std::string, bool>> prepares;
  bool empty() const {
    return adds == 0 && clears == 0 && assigned_vars.empty() && prepares.empty();
  }
};

// Scans the whole COM_QUERY text (all statements of a multi-statement query).
// Cheap when the text has none of "lock", "temporary", "prepare", "flush", "handler",
// "backup" and no user variable assignment in it: no tokenizing.
HeldChange ScanHeldState(absl::string_view sql);

// "temporary tables, named locks" for the bits set; empty for none.
std::string DescribeHeld(uint8_t held);

}  // namespace obp::sql

#endif  // OBP_PROXYD_SQL_HELD_STATE_H_
