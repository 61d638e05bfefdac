/* The guest's serial console as probekit verify reads it: the verdict between
 * nonce markers, a kernel panic, whether /init ran, the last lines; and what the
 * guest's selftest JSON says. All of it is untrusted input, read with bounds. */
#ifndef PK_VERIFY_CONSOLE_H
#define PK_VERIFY_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "verify/qemu.h"

#define PK_VM_WHY_LEN 512

/* Read a console log of len bytes (no NUL terminator needed): verdict markers,
 * panic, last lines, into r. A verdict sets r->outcome = PK_VM_VERDICT, r->json,
 * r->guest_err and r->guest_rc (-1 when the rc is missing, malformed or absurd);
 * a panic without a verdict sets PK_VM_PANIC and r->err. */
void pk_console__parse(const char *log, size_t len, const char *nonce,
			  struct pk_vm_result *r);

/* true when the console line p[0..n) (its \n excluded) is marker+nonce, alone or
 * followed by a space; *rest (may be NULL) then points past the nonce. */
bool pk_console__match_marker(const char *p, size_t n, const char *marker, const char *nonce,
			   const char **rest);

/* What the guest's selftest JSON says. Untrusted input: a JSON reader that
 * validates the whole text first (valid=false when it is not JSON). */
struct pk_vm_guest {
	bool valid;
	bool passed;			/* selfcheck.passed */
	char candidate[64];		/* "" when none won */
	char btf[160];			/* the winner's BTF description */
	double latency_ms;		/* selfcheck.latency_ms, -1 when absent */
	char reason[PK_VM_WHY_LEN];	/* failed attempts "name: reason; ..." or selfcheck.error */
	/* the winner's "source" when it was fetched (repository candidates): "" if not */
	char src_kind[16], src_path[512], src_sha256[65], src_repo[256];
	bool src_from_cache;
	/* every attempt's name, state (skipped, failed, ok, not-tried) and, when it
	 * failed, its stage (fetch, open, load, attach, self-check), in order */
	struct {
		char name[48];
		char state[16];
		char stage[16];
	} att[12];
	int nr_att;
};
void pk_vm_guest__parse(const char *json, struct pk_vm_guest *g);

#endif
