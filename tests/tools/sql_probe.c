/* sql_probe: one libmariadb connection driven line by line from stdin, so a test can do
 * things to the servers (restart a backend) between a client's commands. Each input line
 * gets one output line:
 *   q SQL  ->  "ok" (no result set), "rows V,V;V,V" (NULL as NULL) or "err ERRNO MESSAGE"
 *   x SQL  ->  the same as q, but prepared and executed (COM_STMT_*, no parameters;
 *              at most 16 columns, values cut at 255 bytes)
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

#define MAX_COLS 16

static void run_prepared(MYSQL *m, const char *sql) {
  MYSQL_STMT *st = mysql_stmt_init(m);
  MYSQL_RES *meta;
  MYSQL_BIND bind[MAX_COLS];
  char buf[MAX_COLS][256];
  unsigned long len[MAX_COLS];
  my_bool is_null[MAX_COLS];
  unsigned int i, n;
  int rc, first_row = 1;
  if (!st) {
    printf("err %u %s\n", mysql_errno(m), mysql_error(m));
    return;
  }
  if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 || mysql_stmt_execute(st) != 0) {
    printf("err %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
    mysql_stmt_close(st);
    return;
  }
  if (!(meta = mysql_stmt_result_metadata(st))) {
    printf("ok\n");
    mysql_stmt_close(st);
    return;
  }
  n = mysql_num_fields(meta);
  if (n > MAX_COLS) n = MAX_COLS;
  memset(bind, 0, sizeof bind);
  for (i = 0; i < n; i++) {
    bind[i].buffer_type = MYSQL_TYPE_STRING;
    bind[i].buffer = buf[i];
    bind[i].buffer_length = sizeof buf[i] - 1;
    bind[i].length = &len[i];
    bind[i].is_null = &is_null[i];
  }
  mysql_stmt_bind_result(st, bind);
  printf("rows ");
  while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
    if (!first_row) printf(";");
    first_row = 0;
    for (i = 0; i < n; i++) {
      unsigned long shown = len[i] < sizeof buf[i] - 1 ? len[i] : sizeof buf[i] - 1;
      printf("%s%.*s", i ? "," : "", is_null[i] ? 4 : (int)shown, is_null[i] ? "NULL" : buf[i]);
    }
  }
  printf("\n");
  mysql_free_result(meta);
  mysql_stmt_close(st);
}

int main(int argc, char **argv) {
  static char line[4096];
  MYSQL *m;
  if (!(m = probe_connect(argc, argv))) return argc != 5 ? 2 : 1;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "q ", 2) == 0) {
      run_query(m, line + 2);
    } else if (strncmp(line, "x ", 2) == 0) {
      run_prepared(m, line + 2);
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
