/* caps_probe: MariaDB's capabilities as libmariadb uses them, one line per check.
 *   "json FORMAT"        the format name (mariadb_field_attr) of a JSON column, or "-"
 *   "bulk N"             rows a 3-row array-bound INSERT (COM_STMT_BULK_EXECUTE) inserted
 *   "direct N"           mariadb_stmt_execute_direct (statement id -1) result
 *   "track TYPE VALUE"   each session-state change the server reported for a
 *                        `SET character_set_client` and a `USE`, as the driver saw it
 * With a fifth argument "reprepare" (through proxyd only) it prints instead
 *   "bulk N" then "again N": the same array insert run twice on one statement handle,
 *                        its server session killed in between (KILL PROXYSESSION own-id
 *                        ss_id), so proxyd prepares it again on a new one; libmariadb
 *                        sends the parameter types only the first time.
 * On an error prints "error ERRNO (SQLSTATE) MSG" and goes on. Exit 0 unless the login fails.
 * Usage: caps_probe HOST PORT USER PASS [reprepare] (the user needs a database testdb). */
#include <mysql.h>
#include "probe_connect.h"
#include <stdio.h>
#include <string.h>

static void error(MYSQL *m) {
  printf("error %u (%s) %s\n", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
}

static void stmt_error(MYSQL_STMT *s) {
  printf("error %u (%s) %s\n", mysql_stmt_errno(s), mysql_stmt_sqlstate(s), mysql_stmt_error(s));
}

static void json_format(MYSQL *m) {
  MYSQL_RES *res;
  MARIADB_CONST_STRING attr = {0};
  if (mysql_query(m, "SELECT doc FROM testdb.caps_json") != 0 || !(res = mysql_store_result(m))) {
    error(m);
    return;
  }
  if (mariadb_field_attr(&attr, mysql_fetch_field_direct(res, 0),
                         MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 && attr.length > 0) {
    printf("json %.*s\n", (int)attr.length, attr.str);
  } else {
    printf("json -\n");
  }
  mysql_free_result(res);
}

static void bulk_run(MYSQL_STMT *s, const char *label) {
  if (mysql_stmt_execute(s) != 0) {
    stmt_error(s);
  } else {
    printf("%s %llu\n", label, (unsigned long long)mysql_stmt_affected_rows(s));
  }
}

/* A 3-row array insert on a new handle; the caller closes it. */
static MYSQL_STMT *bulk_insert(MYSQL *m) {
  static int ids[3] = {1, 2, 3};
  static unsigned int rows = 3;
  MYSQL_STMT *s = mysql_stmt_init(m);
  MYSQL_BIND bind[1];
  const char *sql = "INSERT INTO testdb.caps_bulk VALUES (?)";
  memset(bind, 0, sizeof bind);
  bind[0].buffer_type = MYSQL_TYPE_LONG;
  bind[0].buffer = ids;
  if (mysql_stmt_prepare(s, sql, strlen(sql)) != 0 ||
      mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &rows) != 0 ||
      mysql_stmt_bind_param(s, bind) != 0) {
    stmt_error(s);
  } else {
    bulk_run(s, "bulk");
  }
  return s;
}

/* Ends this session's current server session through proxyd's own statement. */
static void kill_own_server_session(MYSQL *m) {
  char sql[128];
  MYSQL_RES *res;
  MYSQL_ROW row;
  if (mysql_query(m, "SHOW PROXYSESSION ATTRIBUTE LIKE 'ss_id'") != 0 ||
      !(res = mysql_store_result(m))) {
    error(m);
    return;
  }
  row = mysql_fetch_row(res);
  snprintf(sql, sizeof sql, "KILL PROXYSESSION %lu %s", mysql_thread_id(m),
           row && row[1] ? row[1] : "0");
  mysql_free_result(res);
  if (mysql_query(m, sql) != 0) error(m);
}

static void execute_direct(MYSQL *m) {
  MYSQL_STMT *s = mysql_stmt_init(m);
  MYSQL_BIND out[1];
  long long value = 0;
  const char *sql = "SELECT COUNT(*) FROM testdb.caps_bulk";
  memset(out, 0, sizeof out);
  out[0].buffer_type = MYSQL_TYPE_LONGLONG;
  out[0].buffer = &value;
  if (mariadb_stmt_execute_direct(s, sql, strlen(sql)) != 0 ||
      mysql_stmt_bind_result(s, out) != 0 || mysql_stmt_fetch(s) != 0) {
    stmt_error(s);
  } else {
    printf("direct %lld\n", value);
  }
  mysql_stmt_close(s);
}

static void print_tracked(MYSQL *m) {
  static const enum enum_session_state_type types[] = {SESSION_TRACK_SYSTEM_VARIABLES,
                                                       SESSION_TRACK_SCHEMA};
  static const char *names[] = {"variable", "schema"};
  const char *data;
  size_t len;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i) {
    if (mysql_session_track_get_first(m, types[i], &data, &len) != 0) continue;
    do {
      printf("track %s %.*s\n", names[i], (int)len, data);
    } while (mysql_session_track_get_next(m, types[i], &data, &len) == 0);
  }
}

int main(int argc, char **argv) {
  MYSQL *m;
  MYSQL_STMT *s;
  int reprepare = argc == 6 && strcmp(argv[5], "reprepare") == 0;
  if (!(m = probe_connect(reprepare ? 5 : argc, argv))) return argc < 5 ? 2 : 1;
  if (reprepare) {
    s = bulk_insert(m);
    kill_own_server_session(m);
    bulk_run(s, "again");
    mysql_stmt_close(s);
    mysql_close(m);
    return 0;
  }
  json_format(m);
  mysql_stmt_close(bulk_insert(m));
  execute_direct(m);
  if (mysql_query(m, "SET character_set_client = koi8r") != 0) error(m);
  print_tracked(m);
  if (mysql_query(m, "USE testdb") != 0) error(m);
  print_tracked(m);
  mysql_close(m);
  return 0;
}
