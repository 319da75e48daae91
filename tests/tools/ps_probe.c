/* ps_probe: exercises the binary protocol (COM_STMT_*) with libmariadb and prints what it
 * sees as text lines, so a test can run it against MariaDB and through proxyd and compare.
 *
 *   ps_probe HOST PORT USER PASS DB
 *       prepare/execute with typed params, send_long_data, result metadata, a read-only
 *       cursor with prefetch (COM_STMT_FETCH), reset, close, CALL with two result sets,
 *       CALL of a procedure whose result sets go out while its own cursor is open,
 *       prepare and execute errors. Output is deterministic for a fresh run.
 *   ps_probe --reprepare HOST PORT USER PASS DB DIRECT_PORT
 *       prepares through HOST:PORT, kills the backend thread via DIRECT_PORT (a direct
 *       connection to the backend), executes again: a proxy must prepare it again itself.
 */
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLS 16
#define COL_BUF 512

static MYSQL *connect_or_die(const char *host, int port, const char *user, const char *pass,
                             const char *db) {
  MYSQL *m = mysql_init(NULL);
  unsigned int timeout = 30;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  if (!mysql_real_connect(m, host, user, pass, db, (unsigned)port, NULL, CLIENT_MULTI_RESULTS)) {
    fprintf(stderr, "connect %s:%d: %u %s\n", host, port, mysql_errno(m), mysql_error(m));
    exit(1);
  }
  return m;
}

static int run(MYSQL *m, const char *sql) {
  if (mysql_query(m, sql) != 0) {
    printf("query error %u (%s) %s\n", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
    return -1;
  }
  MYSQL_RES *res = mysql_store_result(m);
  if (res) mysql_free_result(res);
  return 0;
}

static void stmt_error(const char *what, MYSQL_STMT *st) {
  printf("%s error %u (%s) %s\n", what, mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
         mysql_stmt_error(st));
}

static MYSQL_STMT *prepare(MYSQL *m, const char *sql) {
  MYSQL_STMT *st = mysql_stmt_init(m);
  if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
    stmt_error("prepare", st);
    mysql_stmt_close(st);
    return NULL;
  }
  printf("prepared params=%lu fields=%u\n", mysql_stmt_param_count(st), mysql_stmt_field_count(st));
  return st;
}

/* Prints the metadata, then fetches every row (all columns bound as strings). `limit` < 0
 * means all rows; otherwise stop after that many (leaves a cursor open). */
static void print_rows(MYSQL_STMT *st, const char *label, int store, int limit) {
  MYSQL_RES *meta = mysql_stmt_result_metadata(st);
  if (!meta) {
    printf("%s no result set, affected=%llu\n", label, (unsigned long long)mysql_stmt_affected_rows(st));
    return;
  }
  unsigned n = mysql_num_fields(meta);
  MYSQL_FIELD *f = mysql_fetch_fields(meta);
  static char buf[MAX_COLS][COL_BUF];
  unsigned long len[MAX_COLS];
  my_bool nul[MAX_COLS], err[MAX_COLS];
  MYSQL_BIND b[MAX_COLS];
  memset(b, 0, sizeof b);
  for (unsigned i = 0; i < n && i < MAX_COLS; i++) {
    printf("%s field %s org=%s table=%s type=%d len=%lu flags=%u dec=%u cs=%u\n", label, f[i].name,
           f[i].org_name, f[i].table, f[i].type, f[i].length, f[i].flags, f[i].decimals,
           f[i].charsetnr);
    b[i].buffer_type = MYSQL_TYPE_STRING;
    b[i].buffer = buf[i];
    b[i].buffer_length = COL_BUF;
    b[i].length = &len[i];
    b[i].is_null = &nul[i];
    b[i].error = &err[i];
  }
  mysql_free_result(meta);
  if (mysql_stmt_bind_result(st, b) != 0) return stmt_error("bind_result", st);
  if (store && mysql_stmt_store_result(st) != 0) return stmt_error("store_result", st);
  int rows = 0, rc;
  while ((limit < 0 || rows < limit) && (rc = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
    if (rc == 1) return stmt_error("fetch", st);
    printf("%s row", label);
    for (unsigned i = 0; i < n && i < MAX_COLS; i++) {
      if (nul[i]) printf(" |NULL");
      else printf(" |%.*s", (int)(len[i] < COL_BUF ? len[i] : COL_BUF), buf[i]);
    }
    printf("%s\n", rc == MYSQL_DATA_TRUNCATED ? " (truncated)" : "");
    rows++;
  }
  printf("%s rows=%d\n", label, rows);
}

static void execute(MYSQL_STMT *st, const char *label) {
  if (mysql_stmt_execute(st) != 0) return stmt_error(label, st);
  printf("%s ok affected=%lld insert_id=%llu warnings=%u\n", label,
         (long long)mysql_stmt_affected_rows(st), (unsigned long long)mysql_stmt_insert_id(st),
         mysql_warning_count(st->mysql));
}

static void send_blob(MYSQL_STMT *st, unsigned param, size_t total, size_t chunk) {
  char *data = malloc(chunk);
  for (size_t off = 0; off < total; off += chunk) {
    size_t n = total - off < chunk ? total - off : chunk;
    for (size_t i = 0; i < n; i++) data[i] = (char)((off + i) * 7 % 251);
    if (mysql_stmt_send_long_data(st, param, data, n) != 0) stmt_error("send_long_data", st);
  }
  free(data);
}

static void inserts(MYSQL *m) {
  MYSQL_STMT *st = prepare(m, "INSERT INTO ps_t (i, d, f, s, dt, b) VALUES (?, ?, ?, ?, ?, ?)");
  if (!st) return;
  long long i;
  double f;
  char dec[32], s[64];
  unsigned long dec_len, s_len;
  my_bool nul[6];
  MYSQL_TIME t;
  MYSQL_BIND p[6];
  memset(p, 0, sizeof p);
  p[0].buffer_type = MYSQL_TYPE_LONGLONG; p[0].buffer = &i;
  p[1].buffer_type = MYSQL_TYPE_NEWDECIMAL; p[1].buffer = dec; p[1].length = &dec_len;
  p[2].buffer_type = MYSQL_TYPE_DOUBLE; p[2].buffer = &f;
  p[3].buffer_type = MYSQL_TYPE_STRING; p[3].buffer = s; p[3].length = &s_len;
  p[4].buffer_type = MYSQL_TYPE_DATETIME; p[4].buffer = &t;
  p[5].buffer_type = MYSQL_TYPE_BLOB;
  for (int k = 0; k < 6; k++) p[k].is_null = &nul[k];

  struct { long long i; const char *d; double f; const char *s; unsigned y, mo, da, h, mi, se;
           size_t blob, chunk; int null_all; } rows[] = {
    {-42, "123.456", 3.25, "h\xc3\xa9llo \xf0\x9f\x98\x80", 2024, 2, 29, 12, 34, 56, 210000, 70000, 0},
    {0, "", 0, "", 0, 0, 0, 0, 0, 0, 0, 1, 1},
    {INT64_MAX, "-0.001", -1e100, "", 1970, 1, 1, 0, 0, 0, 3, 3, 0},
  };
  for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    i = rows[r].i; f = rows[r].f;
    snprintf(dec, sizeof dec, "%s", rows[r].d); dec_len = strlen(dec);
    snprintf(s, sizeof s, "%s", rows[r].s); s_len = strlen(s);
    memset(&t, 0, sizeof t);
    t.year = rows[r].y; t.month = rows[r].mo; t.day = rows[r].da;
    t.hour = rows[r].h; t.minute = rows[r].mi; t.second = rows[r].se;
    t.time_type = MYSQL_TIMESTAMP_DATETIME;
    for (int k = 0; k < 6; k++) nul[k] = (my_bool)rows[r].null_all;
    if (mysql_stmt_bind_param(st, p) != 0) stmt_error("bind_param", st);
    if (!rows[r].null_all) send_blob(st, 5, rows[r].blob, rows[r].chunk);
    execute(st, "insert");
  }
  /* An execute-time error: duplicate primary key through a prepared statement. */
  MYSQL_STMT *dup = prepare(m, "INSERT INTO ps_t (id) VALUES (?)");
  if (dup) {
    long long id = 1;
    MYSQL_BIND q;
    memset(&q, 0, sizeof q);
    q.buffer_type = MYSQL_TYPE_LONGLONG; q.buffer = &id;
    mysql_stmt_bind_param(dup, &q);
    execute(dup, "dup_insert");
    mysql_stmt_close(dup);
  }
  mysql_stmt_close(st);
}

static void selects(MYSQL *m) {
  MYSQL_STMT *st = prepare(m, "SELECT id, i, d, f, s, dt, LENGTH(b), MD5(b) FROM ps_t "
                              "WHERE id <= ? ORDER BY id");
  if (!st) return;
  int max_id = 3;
  MYSQL_BIND p;
  memset(&p, 0, sizeof p);
  p.buffer_type = MYSQL_TYPE_LONG; p.buffer = &max_id;
  mysql_stmt_bind_param(st, &p);
  execute(st, "select");
  print_rows(st, "select", 1, -1);
  if (mysql_stmt_reset(st) != 0) stmt_error("reset", st);
  max_id = 2;
  execute(st, "select_again");
  print_rows(st, "select_again", 0, -1);
  printf("close %d\n", mysql_stmt_close(st));
}

static void cursor(MYSQL *m) {
  MYSQL_STMT *st = mysql_stmt_init(m);
  unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 2;
  mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
  mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  const char *sql = "SELECT id, i, s FROM ps_t WHERE id > ? ORDER BY id";
  if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) return stmt_error("cursor prepare", st);
  int min_id = 0;
  MYSQL_BIND p;
  memset(&p, 0, sizeof p);
  p.buffer_type = MYSQL_TYPE_LONG; p.buffer = &min_id;
  mysql_stmt_bind_param(st, &p);
  execute(st, "cursor");
  print_rows(st, "cursor_part", 0, 5);     /* leaves the cursor open */
  if (mysql_stmt_reset(st) != 0) stmt_error("cursor reset", st);
  min_id = 10;
  execute(st, "cursor_again");
  print_rows(st, "cursor_again", 0, -1);
  mysql_stmt_close(st);
}

/* Executes CALL `sql` with ? = x and prints every result set as "PREFIX_setN row ...". */
static void call_sets(MYSQL *m, const char *sql, const char *prefix, int x) {
  MYSQL_STMT *st = prepare(m, sql);
  if (!st) return;
  MYSQL_BIND p;
  memset(&p, 0, sizeof p);
  p.buffer_type = MYSQL_TYPE_LONG; p.buffer = &x;
  mysql_stmt_bind_param(st, &p);
  execute(st, prefix);
  int set = 0, rc;
  do {
    if (mysql_stmt_field_count(st) > 0) {
      char label[64];
      snprintf(label, sizeof label, "%s_set%d", prefix, set++);
      print_rows(st, label, 1, -1);
    } else {
      printf("%s status affected=%lld\n", prefix, (long long)mysql_stmt_affected_rows(st));
    }
    rc = mysql_stmt_next_result(st);
    if (rc > 0) stmt_error("next_result", st);
  } while (rc == 0);
  mysql_stmt_close(st);
  /* The connection must be back in sync for plain queries. */
  printf("after_%s %d\n", prefix, run(m, "SELECT 1"));
}

static int full(const char *host, int port, const char *user, const char *pass, const char *db) {
  MYSQL *m = connect_or_die(host, port, user, pass, db);
  run(m, "DROP TABLE IF EXISTS ps_t");
  run(m, "CREATE TABLE ps_t (id INT AUTO_INCREMENT PRIMARY KEY, i BIGINT, d DECIMAL(12,3), "
         "f DOUBLE, s VARCHAR(100) CHARSET utf8mb4, dt DATETIME, b LONGBLOB)");
  run(m, "DROP PROCEDURE IF EXISTS ps_two");
  run(m, "CREATE PROCEDURE ps_two(IN x INT) BEGIN SELECT x AS a; SELECT x + 1 AS b, 'y' AS c; END");
  /* Its result sets go out while its cursor is open: MariaDB flags them CURSOR_EXISTS. */
  run(m, "DROP PROCEDURE IF EXISTS ps_cur");
  run(m, "CREATE PROCEDURE ps_cur(IN x INT) BEGIN DECLARE v INT; "
         "DECLARE c CURSOR FOR SELECT id FROM ps_t WHERE id <= x ORDER BY id; "
         "OPEN c; FETCH c INTO v; SELECT v AS first, x AS upto; "
         "SELECT id, s FROM ps_t WHERE id <= x ORDER BY id; CLOSE c; END");
  inserts(m);
  run(m, "INSERT INTO ps_t (i, s) SELECT seq, CONCAT('r', seq) FROM seq_1_to_20");
  selects(m);
  cursor(m);
  call_sets(m, "CALL ps_two(?)", "call", 7);
  call_sets(m, "CALL ps_cur(?)", "call_cursor", 4);
  MYSQL_STMT *bad = prepare(m, "SELECT * FROM no_such_table WHERE x = ?");
  if (bad) mysql_stmt_close(bad);
  bad = prepare(m, "SELEC ?");
  if (bad) mysql_stmt_close(bad);
  printf("end %d\n", run(m, "SELECT 1"));
  mysql_close(m);
  return 0;
}

/* Executes `SELECT ? + 1, CONNECTION_ID()` and prints "LABEL VALUE CONN_ID" or an error. */
static void exec_probe(MYSQL_STMT *st, const char *label, long long *conn_id) {
  int in = 41;
  long long out = 0;
  MYSQL_BIND p, r[2];
  memset(&p, 0, sizeof p);
  memset(r, 0, sizeof r);
  p.buffer_type = MYSQL_TYPE_LONG; p.buffer = &in;
  r[0].buffer_type = MYSQL_TYPE_LONGLONG; r[0].buffer = &out;
  r[1].buffer_type = MYSQL_TYPE_LONGLONG; r[1].buffer = conn_id;
  mysql_stmt_bind_param(st, &p);
  if (mysql_stmt_execute(st) != 0) return stmt_error(label, st);
  mysql_stmt_bind_result(st, r);
  if (mysql_stmt_fetch(st) != 0) return stmt_error(label, st);
  while (mysql_stmt_fetch(st) == 0) {}
  printf("%s %lld %lld\n", label, out, *conn_id);
}

static int reprepare(const char *host, int port, const char *user, const char *pass,
                     const char *db, int direct_port) {
  MYSQL *m = connect_or_die(host, port, user, pass, db);
  MYSQL_STMT *st = prepare(m, "SELECT ? + 1, CONNECTION_ID()");
  if (!st) return 1;
  long long id = 0;
  exec_probe(st, "first", &id);
  MYSQL *d = connect_or_die(host, direct_port, user, pass, db);
  char kill[64];
  snprintf(kill, sizeof kill, "KILL CONNECTION %lld", id);
  printf("kill %d\n", run(d, kill));
  mysql_close(d);
  usleep(300 * 1000);
  exec_probe(st, "second", &id);
  mysql_stmt_close(st);
  printf("end %d\n", run(m, "SELECT 1"));
  mysql_close(m);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6) return full(argv[1], atoi(argv[2]), argv[3], argv[4], argv[5]);
  if (argc == 8 && strcmp(argv[1], "--reprepare") == 0)
    return reprepare(argv[2], atoi(argv[3]), argv[4], argv[5], argv[6], atoi(argv[7]));
  fprintf(stderr, "usage: %s HOST PORT USER PASS DB\n"
                  "       %s --reprepare HOST PORT USER PASS DB DIRECT_PORT\n", argv[0], argv[0]);
  return 2;
}
