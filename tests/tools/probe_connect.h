/* probe_connect: the login every C probe in tests/tools makes: argv is
 * "HOST PORT USER PASS", read timeouts bounded, no automatic reconnect (a probe must see
 * a lost connection, not hide it). Prints usage or the login error and returns NULL. */
#ifndef OBP_TESTS_TOOLS_PROBE_CONNECT_H_
#define OBP_TESTS_TOOLS_PROBE_CONNECT_H_
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>

static MYSQL *probe_connect(int argc, char **argv) {
  unsigned int timeout = 30;
  my_bool no = 0;
  MYSQL *m;
  if (argc != 5) {
    fprintf(stderr, "usage: %s HOST PORT USER PASS\n", argv[0]);
    return NULL;
  }
  m = mysql_init(NULL);
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_RECONNECT, &no);
  if (!mysql_real_connect(m, argv[1], argv[3], argv[4], NULL, (unsigned)atoi(argv[2]), NULL, 0)) {
    fprintf(stderr, "connect: %u %s\n", mysql_errno(m), mysql_error(m));
    mysql_close(m);
    return NULL;
  }
  return m;
}

#endif /* OBP_TESTS_TOOLS_PROBE_CONNECT_H_ */
