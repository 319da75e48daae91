/* change_user_probe: a libmariadb client that runs a script of steps on one connection and
 * prints one line per step, so a test can compare what a real driver sees through proxyd
 * with what it sees from MariaDB directly.
 *
 * Usage: change_user_probe HOST PORT USER PASS [--db=DB] [--charset=NAME] STEP...
 * Steps (each one argument):
 *   q:SQL             runs SQL; prints "q ROW" (the first row's columns joined by ',',
 *                     NULL as NULL; "q (none)" for no rows), "q ok" when there is no result
 *                     set, or "q error ERRNO MSG"
 *   cu:USER:PASS:DB   mysql_change_user (DB may be empty); "cu ok" or "cu error ERRNO MSG"
 *   prep:SQL          prepares SQL as the probe's one statement; "prep ok" or "prep error ..."
 *   exec              executes it; "exec ok" or "exec error ERRNO MSG"
 * Every read and write is bounded by a 20 s timeout. Exit 0 unless the login fails (1) or
 * the usage is wrong (2). */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_error(const char *tag, unsigned err, const char *msg) {
  printf("%s error %u %s\n", tag, err, msg);
}

static void run_query(MYSQL *m, const char *sql) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  unsigned i, n;
  if (mysql_query(m, sql) != 0) {
    print_error("q", mysql_errno(m), mysql_error(m));
    return;
  }
  res = mysql_store_result(m);
  if (!res) {
    if (mysql_field_count(m) == 0)
      printf("q ok\n");
    else
      print_error("q", mysql_errno(m), mysql_error(m));
    return;
  }
  row = mysql_fetch_row(res);
  n = mysql_num_fields(res);
  printf("q ");
  if (!row) printf("(none)");
  for (i = 0; row && i < n; i++) printf("%s%s", i ? "," : "", row[i] ? row[i] : "NULL");
  printf("\n");
  mysql_free_result(res);
  while (mysql_next_result(m) == 0) { /* drain further results (CALL) */
    res = mysql_store_result(m);
    if (res) mysql_free_result(res);
  }
}

/* "USER:PASS:DB" -> three parts, cut in place. */
static int split3(char *s, char **a, char **b, char **c) {
  char *p = strchr(s, ':'), *q;
  if (!p) return -1;
  q = strchr(p + 1, ':');
  if (!q) return -1;
  *p = *q = '\0';
  *a = s;
  *b = p + 1;
  *c = q + 1;
  return 0;
}

static void change_user(MYSQL *m, char *arg) {
  char *user, *pass, *db;
  if (split3(arg, &user, &pass, &db) != 0) {
    printf("cu usage\n");
    return;
  }
  if (mysql_change_user(m, user, pass, *db ? db : NULL) == 0)
    printf("cu ok\n");
  else
    print_error("cu", mysql_errno(m), mysql_error(m));
}

static void prepare(MYSQL *m, MYSQL_STMT **stmt, const char *sql) {
  if (*stmt) mysql_stmt_close(*stmt);
  *stmt = mysql_stmt_init(m);
  if (!*stmt) {
    print_error("prep", mysql_errno(m), mysql_error(m));
    return;
  }
  if (mysql_stmt_prepare(*stmt, sql, (unsigned long)strlen(sql)) != 0)
    print_error("prep", mysql_stmt_errno(*stmt), mysql_stmt_error(*stmt));
  else
    printf("prep ok\n");
}

static void execute(MYSQL_STMT *stmt) {
  if (!stmt) {
    printf("exec none\n");
    return;
  }
  if (mysql_stmt_execute(stmt) != 0) {
    print_error("exec", mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    return;
  }
  mysql_stmt_free_result(stmt);
  printf("exec ok\n");
}

int main(int argc, char **argv) {
  MYSQL *m;
  MYSQL_STMT *stmt = NULL;
  unsigned int timeout = 20;
  const char *db = NULL;
  int i = 5;
  if (argc < 5) {
    fprintf(stderr, "usage: %s HOST PORT USER PASS [--db=DB] [--charset=NAME] STEP...\n",
            argv[0]);
    return 2;
  }
  m = mysql_init(NULL);
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strncmp(argv[i], "--db=", 5) == 0)
      db = argv[i] + 5;
    else if (strncmp(argv[i], "--charset=", 10) == 0)
      mysql_options(m, MYSQL_SET_CHARSET_NAME, argv[i] + 10);
  }
  if (!mysql_real_connect(m, argv[1], argv[3], argv[4], db, (unsigned)atoi(argv[2]), NULL, 0)) {
    fprintf(stderr, "connect: %u %s\n", mysql_errno(m), mysql_error(m));
    mysql_close(m);
    return 1;
  }
  for (; i < argc; i++) {
    char *step = argv[i];
    if (strncmp(step, "q:", 2) == 0)
      run_query(m, step + 2);
    else if (strncmp(step, "cu:", 3) == 0)
      change_user(m, step + 3);
    else if (strncmp(step, "prep:", 5) == 0)
      prepare(m, &stmt, step + 5);
    else if (strcmp(step, "exec") == 0)
      execute(stmt);
    else
      printf("unknown step %s\n", step);
    fflush(stdout);
  }
  if (stmt) mysql_stmt_close(stmt); /* before mysql_close, which would only detach it */
  mysql_close(m);
  return 0;
}
