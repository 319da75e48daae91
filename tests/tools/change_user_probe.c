/* change_user_probe: logs in as user A, tries COM_CHANGE_USER to user B, then checks the
 * connection still answers. Prints three lines: "before USER", "change ok|ERRNO MSG",
 * "after USER|error ERRNO MSG". Exit 0 unless the first login fails.
 * Usage: change_user_probe HOST PORT USER_A PASS_A USER_B PASS_B */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>

static void print_current_user(MYSQL *m, const char *label) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  if (mysql_query(m, "SELECT CURRENT_USER()") != 0 || !(res = mysql_store_result(m))) {
    printf("%s error %u %s\n", label, mysql_errno(m), mysql_error(m));
    return;
  }
  row = mysql_fetch_row(res);
  printf("%s %s\n", label, row && row[0] ? row[0] : "NULL");
  mysql_free_result(res);
}

int main(int argc, char **argv) {
  MYSQL *m;
  unsigned int timeout = 20;
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT USER_A PASS_A USER_B PASS_B\n", argv[0]);
    return 2;
  }
  m = mysql_init(NULL);
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  if (!mysql_real_connect(m, argv[1], argv[3], argv[4], NULL, (unsigned)atoi(argv[2]), NULL, 0)) {
    fprintf(stderr, "connect: %u %s\n", mysql_errno(m), mysql_error(m));
    return 1;
  }
  print_current_user(m, "before");
  if (mysql_change_user(m, argv[5], argv[6], NULL) == 0)
    printf("change ok\n");
  else
    printf("change %u %s\n", mysql_errno(m), mysql_error(m));
  print_current_user(m, "after");
  mysql_close(m);
  return 0;
}
