/* process_info_probe: mysql_list_processes (COM_PROCESS_INFO) as an application calls it.
 * Prints "fields A,B,..." (the result's column names), then "self COMMAND|INFO" for the row
 * of this connection's own server thread (found by CONNECTION_ID()), or "self missing",
 * then "after N" from a query run afterwards, to show the connection still works.
 * On an error prints "error ERRNO (SQLSTATE) MSG". Exit 0 unless the login fails.
 * Usage: process_info_probe HOST PORT USER PASS */
#include <mysql.h>
#include "probe_connect.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int scalar(MYSQL *m, const char *sql, char *out, size_t size) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  if (mysql_query(m, sql) != 0 || !(res = mysql_store_result(m))) {
    printf("error %u (%s) %s\n", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
    return -1;
  }
  row = mysql_fetch_row(res);
  snprintf(out, size, "%s", row && row[0] ? row[0] : "NULL");
  mysql_free_result(res);
  return 0;
}

int main(int argc, char **argv) {
  MYSQL *m;
  MYSQL_RES *res;
  MYSQL_ROW row;
  MYSQL_FIELD *fields;
  unsigned int i, n, id_col = 0, cmd_col = 0, info_col = 0;
  char self[32], after[32];
  int found = 0;
  if (!(m = probe_connect(argc, argv))) return argc != 5 ? 2 : 1;
  if (scalar(m, "SELECT CONNECTION_ID()", self, sizeof self) != 0) return 0;
  res = mysql_list_processes(m);
  if (!res) {
    printf("error %u (%s) %s\n", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
  } else {
    n = mysql_num_fields(res);
    fields = mysql_fetch_fields(res);
    printf("fields ");
    for (i = 0; i < n; ++i) {
      printf("%s%s", i ? "," : "", fields[i].name);
      if (strcmp(fields[i].name, "Id") == 0) id_col = i;
      if (strcmp(fields[i].name, "Command") == 0) cmd_col = i;
      if (strcmp(fields[i].name, "Info") == 0) info_col = i;
    }
    printf("\n");
    while ((row = mysql_fetch_row(res))) {
      if (row[id_col] && strcmp(row[id_col], self) == 0) {
        printf("self %s|%s\n", row[cmd_col] ? row[cmd_col] : "NULL",
               row[info_col] ? row[info_col] : "NULL");
        found = 1;
      }
    }
    if (!found) printf("self missing\n");
    mysql_free_result(res);
  }
  if (scalar(m, "SELECT 1 + 1", after, sizeof after) == 0) printf("after %s\n", after);
  mysql_close(m);
  return 0;
}
