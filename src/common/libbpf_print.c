/* libbpf -> pk_pr. Levels go one step down: a libbpf warning during a candidate's
 * attempt is not the operator's warning (the candidate's failure and its reason
 * are recorded, and the walk goes on), so it is PK_INFO; libbpf's info and debug
 * chatter is PK_DEBUG. libbpf starts its messages with "libbpf: " itself. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "common/libbpf_print.h"
#include "common/pk.h"

static int pk_libbpf__print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum pk_print_level l = level == LIBBPF_WARN ? PK_INFO : PK_DEBUG;
	char *msg = NULL;
	int n;

	n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return n;
	pk_pr(l, "%s", msg);
	free(msg);
	return n;
}

void pk_libbpf__route_print(void)
{
	libbpf_set_print(pk_libbpf__print);
}
