/* sql_probe: one libmariadb connection driven line by line from stdin, so a test can do
 * things to the servers (restart a backend) between a client's commands. Each input line
 * gets one output line:
 *   q SQL  ->  "ok" (no result set), "rows V,V;V,V" (NULL as NULL) or "err ERRNO MESSAGE"
 *   p      ->  "ping ok" or "ping ERRNO MESSAGE"
 * Exits 0 at the end of input, 1 if the login fails.
 * Usage: sql_probe HOST PORT USER PASS */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_connect.h"

static void print_rows(MYSQL_RES *res) {
  MYSQL_ROW row;
  unsigned int i, n = mysql_num_fields(res);
  int first_row = 1;
  printf("rows ");
  while ((row = mysql_fetch_row(res))) {
    if (!first_row) printf(";");
    first_row = 0;
    for (i = 0; i < n; i++) printf("%s%s", i ? "," : "", row[i] ? row[i] : "NULL");
  }
  printf("\n");
}

static void run_query(MYSQL *m, const char *sql) {
  MYSQL_RES *res;
  if (mysql_query(m, sql) != 0) {
    printf("err %u %s\n", mysql_errno(m), mysql_error(m));
    return;
  }
  res = mysql_store_result(m);
  if (res) {
    print_rows(res);
    mysql_free_result(res);
  } else if (mysql_field_count(m) != 0) {
    printf("err %u %s\n", mysql_errno(m), mysql_error(m));
  } else {
    printf("ok\n");
  }
}

int main(int argc, char **argv) {
  static char line[4096];
  MYSQL *m;
  if (!(m = probe_connect(argc, argv))) return argc != 5 ? 2 : 1;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "q ", 2) == 0) {
      run_query(m, line + 2);
    } else if (strcmp(line, "p") == 0) {
      if (mysql_ping(m) == 0) {
        printf("ping ok\n");
      } else {
        printf("ping %u %s\n", mysql_errno(m), mysql_error(m));
      }
    } else {
      printf("err 0 unknown command\n");
    }
    fflush(stdout);
  }
  mysql_close(m);
  return 0;
}
