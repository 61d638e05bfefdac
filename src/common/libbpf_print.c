/* libbpf -> pk_pr, with libbpf's levels one step down (see below). A message the
 * callback would not show is dropped before it is formatted: libbpf writes some
 * 300 debug lines per load, and formatting them all was start-up time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "common/libbpf_print.h"
#include "common/pk.h"

static enum pk_print_level pk_libbpf_max = PK_WARN;

/* A libbpf warning during a candidate's attempt is not the operator's warning
 * (the candidate's failure and its reason are recorded, and the walk goes on), so
 * it is PK_INFO; libbpf's info and debug chatter is PK_DEBUG. libbpf starts its
 * messages with "libbpf: " itself. */
static int pk_libbpf__print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum pk_print_level l = level == LIBBPF_WARN ? PK_INFO : PK_DEBUG;
	char buf[1024], *msg = buf;
	va_list aq;
	int n;

	if (l > pk_libbpf_max)
		return 0;
	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, aq);
	va_end(aq);
	if (n < 0)
		return n;
	/* the rare long one (a verifier log libbpf allocated) goes to the heap */
	if ((size_t)n >= sizeof(buf) && vasprintf(&msg, fmt, ap) < 0)
		return -1;
	pk_pr(l, "%s", msg);
	if (msg != buf)
		free(msg);
	return n;
}

void pk_libbpf__route_print(enum pk_print_level max_level)
{
	pk_libbpf_max = max_level;
	libbpf_set_print(pk_libbpf__print);
}
