/* The guest console reader of `probekit verify` (pk_vm__parse_console): the
 * verdict between nonce markers, panics, and whether /init was reached (a panic
 * before it is retried once under TCG). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "verify/vm.h"

static void parse(const char *log, struct pk_vm_result *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = PK_VM_EXITED;	/* what pk_vm__run assumes before reading */
	pk_vm__parse_console(log, strlen(log), "c0ffee", r);
}

static void test_verdict(void)
{
	const char *name = "console/verdict";
	const char *log =
		"[    0.000000] Linux version 6.1.0-50-amd64\n"
		"[    3.100000] Run /init as init process\n"
		"probekit-init: mode btf: probekit selftest --json\n"
		"PKV-BEGIN-deadbeef\n{\"old\": true}\nPKV-END-deadbeef rc=9\n"	/* other nonce */
		"PKV-BEGIN-c0ffee\n{\"selfcheck\": {\"passed\": true}}\n"
		"PKV-STDERR-c0ffee\nprobekit: self-check passed\nPKV-END-c0ffee rc=0\n";
	struct pk_vm_result r;

	parse(log, &r);
	CHECK_INT(name, r.outcome, PK_VM_VERDICT);
	CHECK_INT(name, r.guest_rc, 0);
	CHECK(name, r.init_started, "init_started not set");
	CHECK(name, r.json && !strcmp(r.json, "{\"selfcheck\": {\"passed\": true}}\n"), "json '%s'",
	      r.json ? r.json : "(null)");
	CHECK(name, r.guest_err && strstr(r.guest_err, "self-check passed"), "stderr '%s'",
	      r.guest_err ? r.guest_err : "(null)");
	pk_vm_result__free(&r);
	PASS(name);
}

static void test_panic_before_init(void)
{
	const char *name = "console/panic_before_init";
	const char *log =
		"[    5.772917] Oops: general protection fault, maybe for address 0x10: 0000 [#1]\n"
		"[    5.772917] RIP: 0010:do_sync_core+0x28/0x30\n"
		"[    5.787918] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n"
		"[    5.789202] Kernel Offset: disabled\n";
	struct pk_vm_result r;

	parse(log, &r);
	CHECK_INT(name, r.outcome, PK_VM_PANIC);
	CHECK(name, !r.init_started, "init_started set without the line");
	CHECK(name, !strncmp(r.why, "Kernel panic - not syncing: Attempted to kill init!", 51),
	      "why '%s'", r.why);
	CHECK(name, strstr(r.tail, "Kernel Offset"), "tail '%s'", r.tail);
	pk_vm_result__free(&r);
	PASS(name);
}

static void test_panic_after_init(void)
{
	const char *name = "console/panic_after_init";
	const char *log =
		"[    3.100000] Run /init as init process\n"
		"[    3.200000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n";
	struct pk_vm_result r;

	parse(log, &r);
	CHECK_INT(name, r.outcome, PK_VM_PANIC);
	CHECK(name, r.init_started, "init_started not set");
	pk_vm_result__free(&r);
	PASS(name);
}

static void test_no_verdict(void)
{
	const char *name = "console/unterminated_verdict";
	/* BEGIN without END (QEMU killed mid-print): no verdict, no JSON */
	const char *log = "Run /init as init process\nPKV-BEGIN-c0ffee\n{\"selfcheck\": ";
	struct pk_vm_result r;

	parse(log, &r);
	CHECK_INT(name, r.outcome, PK_VM_EXITED);
	CHECK(name, !r.json, "json from an unterminated verdict");
	CHECK_INT(name, r.guest_rc, -1);
	pk_vm_result__free(&r);
	PASS(name);
}

int main(void)
{
	test_verdict();
	test_panic_before_init();
	test_panic_after_init();
	test_no_verdict();
	return UNIT_EXIT();
}
