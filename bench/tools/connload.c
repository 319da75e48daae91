/* connload: MySQL-protocol load generator for the benchmark harness.
 *
 * Two modes, both built on libmariadb so the client cost is that of a real
 * C connector (Python would be the bottleneck when measuring connect rate):
 *
 *   connload connrate --host H --port P --user U --password W [--db D]
 *                     --threads N --seconds T
 *     N threads each loop { mysql_real_connect; SELECT 1; mysql_close } for T
 *     seconds and print one JSON line: connections, errors, per_sec, latency
 *     percentiles of one whole connect+query+close cycle.
 *
 *   connload idle --host H --port P --user U --password W --count N
 *                 [--threads K] [--max-seconds S]
 *     Open N authenticated sessions (K threads in parallel), print
 *     "READY opened=<n> errors=<e>" and hold them until stdin reaches EOF or
 *     S seconds pass, then exit (the kernel closes the sockets).
 *
 * Thread rule: every MYSQL handle is used by exactly one thread; the only
 * shared state is atomic counters and per-thread result slots read after join.
 */
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

struct options {
  const char *mode, *host, *user, *password, *db;
  unsigned port;
  int threads, count;
  double seconds, max_seconds;
};

static struct options opt = {NULL, "127.0.0.1", "bench", "bench", NULL,
                             3306, 1, 20, 2.0, 600.0};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void) {
  fprintf(stderr,
          "usage: connload connrate|idle --host H --port P --user U "
          "--password W [--db D] [--threads N] [--seconds T] [--count N] "
          "[--max-seconds S]\n");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  if (argc < 2) usage();
  opt.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) usage();
    const char *k = argv[i], *v = argv[++i];
    if (!strcmp(k, "--host")) opt.host = v;
    else if (!strcmp(k, "--port")) opt.port = (unsigned)atoi(v);
    else if (!strcmp(k, "--user")) opt.user = v;
    else if (!strcmp(k, "--password")) opt.password = v;
    else if (!strcmp(k, "--db")) opt.db = v;
    else if (!strcmp(k, "--threads")) opt.threads = atoi(v);
    else if (!strcmp(k, "--seconds")) opt.seconds = atof(v);
    else if (!strcmp(k, "--count")) opt.count = atoi(v);
    else if (!strcmp(k, "--max-seconds")) opt.max_seconds = atof(v);
    else usage();
  }
  if (opt.threads < 1 || opt.count < 0 || opt.seconds <= 0) usage();
}

/* Every socket operation is bounded so a stuck target cannot hang the run. */
static MYSQL *open_session(char *err, size_t errlen) {
  MYSQL *m = mysql_init(NULL);
  if (!m) {
    snprintf(err, errlen, "mysql_init failed");
    return NULL;
  }
  unsigned timeout = 5;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  if (!mysql_real_connect(m, opt.host, opt.user, opt.password, opt.db,
                          opt.port, NULL, 0)) {
    snprintf(err, errlen, "%u %s", mysql_errno(m), mysql_error(m));
    mysql_close(m);
    return NULL;
  }
  return m;
}

/* ---- connrate ---- */

enum { kMaxSamples = 1 << 20 };

struct rate_slot {
  long ok, errors;
  double *lat;  /* seconds per cycle, up to kMaxSamples / threads */
  long nlat, caplat;
  char first_error[256];
};

static double deadline;

static void *rate_worker(void *arg) {
  struct rate_slot *s = arg;
  mysql_thread_init();
  while (now_s() < deadline) {
    double t0 = now_s();
    char err[256];
    MYSQL *m = open_session(err, sizeof err);
    int ok = m != NULL;
    if (ok && mysql_query(m, "SELECT 1") != 0) {
      snprintf(err, sizeof err, "%u %s", mysql_errno(m), mysql_error(m));
      ok = 0;
    }
    if (ok) {
      MYSQL_RES *r = mysql_store_result(m);
      if (r) mysql_free_result(r);
    }
    if (m) mysql_close(m);
    if (ok) {
      s->ok++;
      if (s->nlat < s->caplat) s->lat[s->nlat++] = now_s() - t0;
    } else {
      if (s->errors++ == 0) snprintf(s->first_error, sizeof s->first_error, "%s", err);
      usleep(1000); /* an error loop must not spin the CPU we measure */
    }
  }
  mysql_thread_end();
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void json_escape(const char *in, char *out, size_t n) {
  size_t j = 0;
  for (; *in && j + 2 < n; in++) {
    if (*in == '"' || *in == '\\') out[j++] = '\\';
    out[j++] = (*in >= 32) ? *in : ' ';
  }
  out[j] = 0;
}

static int run_connrate(void) {
  struct rate_slot *slots = calloc((size_t)opt.threads, sizeof *slots);
  pthread_t *tids = calloc((size_t)opt.threads, sizeof *tids);
  for (int i = 0; i < opt.threads; i++) {
    slots[i].caplat = kMaxSamples / opt.threads;
    slots[i].lat = malloc(sizeof(double) * (size_t)slots[i].caplat);
  }
  double start = now_s();
  deadline = start + opt.seconds;
  for (int i = 0; i < opt.threads; i++)
    pthread_create(&tids[i], NULL, rate_worker, &slots[i]);
  long ok = 0, errors = 0, nlat = 0;
  const char *first_error = "";
  for (int i = 0; i < opt.threads; i++) {
    pthread_join(tids[i], NULL);
    ok += slots[i].ok;
    errors += slots[i].errors;
    nlat += slots[i].nlat;
    if (!*first_error && slots[i].errors) first_error = slots[i].first_error;
  }
  double elapsed = now_s() - start;
  double *all = malloc(sizeof(double) * (size_t)(nlat ? nlat : 1));
  long k = 0;
  for (int i = 0; i < opt.threads; i++)
    for (long j = 0; j < slots[i].nlat; j++) all[k++] = slots[i].lat[j];
  qsort(all, (size_t)nlat, sizeof(double), cmp_double);
  double p50 = nlat ? all[nlat / 2] : 0, p95 = nlat ? all[(nlat * 95) / 100] : 0;
  char esc[512];
  json_escape(first_error, esc, sizeof esc);
  printf("{\"connections\": %ld, \"errors\": %ld, \"seconds\": %.3f, "
         "\"per_sec\": %.1f, \"p50_ms\": %.3f, \"p95_ms\": %.3f, "
         "\"first_error\": \"%s\"}\n",
         ok, errors, elapsed, ok / elapsed, p50 * 1e3, p95 * 1e3, esc);
  return 0;
}

/* ---- idle ---- */

static MYSQL **idle_handles;
static atomic_int idle_next, idle_errors;
static char idle_first_error[256];
static pthread_mutex_t idle_err_mu = PTHREAD_MUTEX_INITIALIZER;

static void *idle_worker(void *arg) {
  (void)arg;
  mysql_thread_init();
  for (;;) {
    int i = atomic_fetch_add(&idle_next, 1);
    if (i >= opt.count || now_s() > deadline) break;
    char err[256];
    idle_handles[i] = open_session(err, sizeof err);
    if (!idle_handles[i] && atomic_fetch_add(&idle_errors, 1) == 0) {
      pthread_mutex_lock(&idle_err_mu);
      snprintf(idle_first_error, sizeof idle_first_error, "%s", err);
      pthread_mutex_unlock(&idle_err_mu);
    }
  }
  mysql_thread_end();
  return NULL;
}

static int run_idle(void) {
  idle_handles = calloc((size_t)opt.count + 1, sizeof *idle_handles);
  pthread_t *tids = calloc((size_t)opt.threads, sizeof *tids);
  double start = now_s();
  deadline = start + opt.max_seconds;
  for (int i = 0; i < opt.threads; i++) pthread_create(&tids[i], NULL, idle_worker, NULL);
  for (int i = 0; i < opt.threads; i++) pthread_join(tids[i], NULL);
  int opened = 0;
  for (int i = 0; i < opt.count; i++) opened += idle_handles[i] != NULL;
  printf("READY opened=%d errors=%d open_seconds=%.3f first_error=%s\n", opened,
         atomic_load(&idle_errors), now_s() - start, idle_first_error);
  fflush(stdout);
  /* Hold until the harness closes our stdin, bounded by --max-seconds. */
  struct pollfd p = {0, POLLIN, 0};
  while (now_s() < deadline) {
    int remaining_ms = (int)((deadline - now_s()) * 1000) + 1;
    if (poll(&p, 1, remaining_ms) > 0) {
      char buf[64];
      if (read(0, buf, sizeof buf) <= 0) break;
    }
  }
  return 0; /* exit closes every socket at once; no per-handle teardown */
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  if (mysql_library_init(0, NULL, NULL)) {
    fprintf(stderr, "mysql_library_init failed\n");
    return 1;
  }
  if (!strcmp(opt.mode, "connrate")) return run_connrate();
  if (!strcmp(opt.mode, "idle")) return run_idle();
  usage();
  return 2;
}
