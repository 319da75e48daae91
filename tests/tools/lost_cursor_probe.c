/* lost_cursor_probe: opens a server-side cursor (COM_STMT_EXECUTE with a read-only cursor
 * type) and then pings, so a test can end the backend thread in between. Prints "id N"
 * (CONNECTION_ID() of its server thread), waits for a line on stdin, then prints
 * "ping ok" or "ping ERRNO MSG" twice. Exit 0 unless the login or the cursor fails.
 * Usage: lost_cursor_probe HOST PORT USER PASS */
#include <mysql.h>
#include "probe_connect.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ping(MYSQL *m) {
  if (mysql_ping(m) == 0) {
    printf("ping ok\n");
  } else {
    printf("ping %u %s\n", mysql_errno(m), mysql_error(m));
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  const char *sql = "SELECT 1 UNION ALL SELECT 2";
  unsigned long cursor = CURSOR_TYPE_READ_ONLY;
  char line[16];
  MYSQL *m;
  MYSQL_STMT *st;
  MYSQL_RES *res;
  MYSQL_ROW row;
  if (!(m = probe_connect(argc, argv))) return argc != 5 ? 2 : 1;
  st = mysql_stmt_init(m);
  mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor);
  if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 || mysql_stmt_execute(st) != 0) {
    fprintf(stderr, "cursor: %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
    mysql_stmt_close(st);
    mysql_close(m);
    return 1;
  }
  if (mysql_query(m, "SELECT CONNECTION_ID()") != 0 || !(res = mysql_store_result(m))) {
    fprintf(stderr, "id: %u %s\n", mysql_errno(m), mysql_error(m));
    return 1;
  }
  row = mysql_fetch_row(res);
  printf("id %s\n", row && row[0] ? row[0] : "NULL");
  fflush(stdout);
  mysql_free_result(res);
  if (!fgets(line, sizeof line, stdin)) return 1;
  ping(m);
  ping(m);
  mysql_stmt_close(st); /* mysql_close only detaches statements; it does not free them */
  mysql_close(m);
  return 0;
}
