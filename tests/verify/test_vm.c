/* What probekit verify reads from outside, on the host: the guest console
 * (pk_console__parse: the verdict between nonce markers, panics, whether /init
 * was reached) and kernel files (pk_kimg__probe, pk_kimg__write_btf on crafted ELFs). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <elf.h>

#include "common/pk.h"
#include "unit.h"
#include "verify/console.h"
#include "verify/initramfs.h"
#include "verify/kimg.h"
#include "verify/matrix.h"

static void parse(const char *log, struct pk_vm_result *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = PK_VM_EXITED;	/* what pk_vm__run assumes before reading */
	pk_console__parse(log, strlen(log), "c0ffee", r);
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
	CHECK(name, !strncmp(r.err.msg, "Kernel panic - not syncing: Attempted to kill init!", 51),
	      "why '%s'", r.err.msg);
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

/* The case of the libFuzzer crash file once committed at the repository root
 * (fuzz_verify_input, selector byte 1 = console, nonce f00d): a verdict whose
 * END line is the last bytes of the log, with no newline and no NUL after it. */
static void test_end_at_eof(void)
{
	const char *name = "console/end_at_eof_crash_case";
	static const char bytes[] = "PKV-BEGIN-f00d\n{}\nPKV-END-f00d rc=12345";
	size_t n = sizeof(bytes) - 1;
	char *log = malloc(n);	/* exactly the log: a read past it is a sanitizer error */
	struct pk_vm_result r;
	struct pk_vm_guest g;

	CHECK(name, log, "out of memory");
	CHECK_INT(name, n, 39);
	memcpy(log, bytes, n);
	memset(&r, 0, sizeof(r));
	r.outcome = PK_VM_EXITED;
	pk_console__parse(log, n, "f00d", &r);
	free(log);
	CHECK_INT(name, r.outcome, PK_VM_VERDICT);
	/* /init prints the shell's $?, 0..255: 12345 is no exit status, so unknown */
	CHECK_INT(name, r.guest_rc, -1);
	CHECK(name, r.json && !strcmp(r.json, "{}\n"), "json '%s'", r.json ? r.json : "(null)");
	CHECK(name, !r.guest_err, "stderr without a PKV-STDERR marker");
	CHECK_STR(name, r.tail, "PKV-BEGIN-f00d\n{}\nPKV-END-f00d rc=12345");
	CHECK(name, !r.err.msg[0], "reason '%s' with a verdict", r.err.msg);
	/* the JSON is valid but says nothing passed: verify counts the row failed */
	pk_vm_guest__parse(r.json, &g);
	CHECK(name, g.valid && !g.passed, "valid %d passed %d", g.valid, g.passed);
	pk_vm_result__free(&r);
	PASS(name);
}

/* the exit code on the END line: the shell's $? or unknown (-1) */
static void test_rc(void)
{
	static const struct { const char *end; int rc; } cases[] = {
		{ "PKV-END-c0ffee rc=0\n", 0 },
		{ "PKV-END-c0ffee rc=1", 1 },
		{ "PKV-END-c0ffee rc=255\r\n", 255 },
		{ "PKV-END-c0ffee rc=256\n", -1 },
		{ "PKV-END-c0ffee rc=99999999999999999999\n", -1 },
		{ "PKV-END-c0ffee rc=\n", -1 },
		{ "PKV-END-c0ffee rc=\r\n", -1 },
		{ "PKV-END-c0ffee rc=-1\n", -1 },
		{ "PKV-END-c0ffee rc=3x\n", -1 },
		{ "PKV-END-c0ffee\n", -1 },
	};
	const char *name = "console/rc";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char log[128];
		struct pk_vm_result r;

		snprintf(log, sizeof(log), "PKV-BEGIN-c0ffee\n{}\n%s", cases[i].end);
		parse(log, &r);
		CHECK(name, r.outcome == PK_VM_VERDICT && r.guest_rc == cases[i].rc,
		      "'%s': outcome %d rc %d, want rc %d", cases[i].end, r.outcome, r.guest_rc,
		      cases[i].rc);
		pk_vm_result__free(&r);
	}
	PASS(name);
}

/* ---- the guest's selftest JSON ---- */

static void test_guest_pass(void)
{
	const char *name = "guest_json/passed";
	const char *json =
		"{\"candidate\": \"embedded-btf\", \"btf\": \"/sys/kernel/btf/vmlinux\",\n"
		" \"selfcheck\": {\"passed\": true, \"latency_ms\": 12.5e0, \"error\": null},\n"
		" \"attempts\": [{\"name\": \"x\", \"state\": \"failed\", \"reason\": \"r\"}]}\n";
	struct pk_vm_guest g;

	pk_vm_guest__parse(json, &g);
	CHECK(name, g.valid && g.passed, "valid %d passed %d", g.valid, g.passed);
	CHECK_STR(name, g.candidate, "embedded-btf");
	CHECK_STR(name, g.btf, "/sys/kernel/btf/vmlinux");
	CHECK(name, g.latency_ms == 12.5, "latency %g", g.latency_ms);
	CHECK_STR(name, g.reason, "");	/* attempts are read only when it failed */
	PASS(name);
}

static void test_guest_fail_reasons(void)
{
	const char *name = "guest_json/failed_attempts";
	/* escapes decode to one line: \n as a space, \" and \u00e9 as themselves */
	const char *json =
		"{\"candidate\": \"\", \"selfcheck\": {\"passed\": false},"
		" \"attempts\": [{\"name\": \"core\", \"state\": \"failed\","
		"  \"reason\": \"load: \\\"x\\\"\\nline 2 caf\\u00e9\"},"
		" {\"name\": \"btf\", \"state\": \"ok\", \"reason\": \"-\"},"
		" {\"name\": \"legacy\", \"state\": \"skipped\", \"reason\": \"no \\u0000 object\\/here\"}]}";
	struct pk_vm_guest g;

	pk_vm_guest__parse(json, &g);
	CHECK(name, g.valid && !g.passed, "valid %d passed %d", g.valid, g.passed);
	CHECK(name, g.latency_ms == -1, "latency %g", g.latency_ms);
	CHECK_STR(name, g.reason,
		  "core failed: load: \"x\" line 2 caf\xc3\xa9; legacy skipped: no   object/here");
	PASS(name);
}

/* a guest status whose winner came from a repository: the source and the attempts */
#define SHA "03daad81b1bf978f354fc52cf15c8f60f065529bc7f6a7b0d124da77ea8e0e51"
static const char *guest_json(char *buf, size_t n, const char *cand, const char *source, bool passed)
{
	snprintf(buf, n,
		 "{\"candidate\": \"%s\", \"btf\": null, \"source\": %s,"
		 " \"selfcheck\": {\"passed\": %s, \"latency_ms\": 3.5},"
		 " \"attempts\": [{\"name\": \"embedded-btf\", \"state\": \"skipped\","
		 "  \"reason\": \"not among the candidates allowed (--candidates repo-legacy)\"},"
		 " {\"name\": \"repo-reduced-btf\", \"state\": \"failed\", \"stage\": \"load\", \"reason\": \"load: E2BIG\"},"
		 " {\"name\": \"repo-legacy\", \"state\": \"%s\", \"reason\": null}]}",
		 cand, source, passed ? "true" : "false", passed ? "ok" : "failed");
	return buf;
}

static void test_guest_source(void)
{
	const char *name = "guest_json/source_and_attempts";
	char buf[2048];
	struct pk_vm_guest g;

	pk_vm_guest__parse(guest_json(buf, sizeof(buf), "repo-legacy",
				      "{\"path\": \"p/x86_64/probekit_debian_6.1.1-1-amd64_1.o\", \"kind\": \"legacy-object\","
				      " \"repository\": \"/pk/repo\", \"url\": \"file:///pk/repo/p\", \"sha256\": \"" SHA "\","
				      " \"cache_entry\": null, \"index_version\": 3, \"from_cache\": false, \"attempts\": []}",
				      false), &g);
	CHECK(name, g.valid, "invalid");
	CHECK_STR(name, g.src_kind, "legacy-object");
	CHECK_STR(name, g.src_sha256, SHA);
	CHECK_STR(name, g.src_repo, "/pk/repo");
	CHECK(name, !g.src_from_cache && g.nr_att == 3, "from_cache %d nr_att %d", g.src_from_cache, g.nr_att);
	CHECK_STR(name, g.att[1].name, "repo-reduced-btf");
	CHECK_STR(name, g.att[1].state, "failed");
	CHECK_STR(name, g.att[1].stage, "load");
	/* a candidate the mode left out is no news in the reason */
	CHECK(name, !strstr(g.reason, "embedded-btf") && strstr(g.reason, "repo-reduced-btf failed: load: E2BIG"),
	      "%s", g.reason);
	PASS(name);
}

/* pk_verify_row__judge in modes legacy and repo: what passes and what does not */
static void test_judge_repo_modes(void)
{
	static const char *const src_ok = "{\"path\": \"p/a.o\", \"kind\": \"legacy-object\", \"repository\": \"/pk/repo\","
					  " \"sha256\": \"" SHA "\", \"from_cache\": false}";
	static const char *const src_cached = "{\"path\": \"p/a.o\", \"kind\": \"legacy-object\", \"repository\": \"/pk/repo\","
					      " \"sha256\": \"" SHA "\", \"from_cache\": true}";
	static const struct {
		const char *name;
		enum pk_verify_mode mode;
		const char *cand, *source;
		bool passed;
		int rc;
		enum pk_verify_verdict want;
		const char *words;
	} cases[] = {
		{ "judge/legacy_pass", PK_VERIFY_LEGACY, "repo-legacy", src_ok, true, 0, PK_VERIFY_PASS, NULL },
		{ "judge/legacy_other_winner", PK_VERIFY_LEGACY, "embedded-core", "null", true, 0, PK_VERIFY_FAIL,
		  "embedded-core won, not this kernel's legacy object" },
		{ "judge/legacy_from_cache", PK_VERIFY_LEGACY, "repo-legacy", src_cached, true, 0, PK_VERIFY_FAIL,
		  "without a download verified in the guest" },
		{ "judge/legacy_no_source", PK_VERIFY_LEGACY, "repo-legacy", "null", true, 0, PK_VERIFY_FAIL,
		  "without a download verified in the guest (source none)" },
		{ "judge/legacy_selfcheck_failed", PK_VERIFY_LEGACY, "repo-legacy", src_ok, false, 1, PK_VERIFY_FAIL,
		  "selftest exit 1" },
		{ "judge/repo_reduced_pass", PK_VERIFY_REPO, "repo-reduced-btf", src_ok, true, 0, PK_VERIFY_PASS, NULL },
		{ "judge/repo_embedded_winner", PK_VERIFY_REPO, "embedded-btf", "null", true, 0, PK_VERIFY_FAIL,
		  "embedded-btf won without a download" },
	};

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		struct pk_verify_row r = { .mode = cases[i].mode };
		struct pk_vm_result res = { .outcome = PK_VM_VERDICT, .guest_rc = cases[i].rc };
		char buf[2048];

		res.json = (char *)guest_json(buf, sizeof(buf), cases[i].cand, cases[i].source, cases[i].passed);
		pk_verify_row__judge(&r, &res);
		free(r.guest_json);
		CHECK(cases[i].name, r.verdict == cases[i].want, "verdict %d, want %d: %s", r.verdict, cases[i].want,
		      pk_error__str(&r.reason));
		CHECK(cases[i].name, !cases[i].words || strstr(pk_error__str(&r.reason), cases[i].words), "reason: %s",
		      pk_error__str(&r.reason));
		if (cases[i].want == PK_VERIFY_PASS)
			CHECK(cases[i].name, !strcmp(r.artifact.sha256, SHA) && !strcmp(r.artifact.path, "p/a.o"),
			      "artifact %s %s", r.artifact.path, r.artifact.sha256);
		PASS(cases[i].name);
	}
}

static void test_guest_invalid(void)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\": 1} x", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": -}",
		"{\"a\": .5}", "{\"a\": 1e}", "{\"a\": -inf}", "{\"a\": nan}", "{\"a\": 0x10}",
		"{\"a\": \"\\x\"}", "{\"a\": \"\\u12\"}", "{\"a\": \"\\u12g4\"}", "{\"a\": \"tab\there\"}",
		"{\"a\": \"open}", "{\"a\" 1}", "{a: 1}", "{\"a\": [1,]}", "{\"a\": tru}",
		"{\"a\": 1,}", "{\"a\": \"\\",
	};
	const char *name = "guest_json/invalid";
	char deep[300];
	struct pk_vm_guest g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pk_vm_guest__parse(bad[i], &g);
		CHECK(name, !g.valid, "'%s' read as JSON", bad[i]);
	}
	/* nesting past the depth limit */
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[i] = 0;
	memmove(deep + 6, deep, strlen(deep) + 1);
	memcpy(deep, "{\"a\": ", 6);
	for (i = 0; i < 100; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	pk_vm_guest__parse(deep, &g);
	CHECK(name, !g.valid, "100 levels of nesting read as JSON");
	pk_vm_guest__parse(NULL, &g);
	CHECK(name, !g.valid, "NULL read as JSON");
	/* and valid numbers the old walker's strtod happened to take as well */
	pk_vm_guest__parse("{\"a\": [0, -0.5, 1E+3, 2e-2, 10]}", &g);
	CHECK(name, g.valid, "valid numbers refused");
	PASS(name);
}

/* ---- kernel files ---- */

static char tmpdir[] = "/tmp/pk-test-vm-XXXXXX";

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

/* A minimal x86-64 ELF: a name table, one section named by btf_name (an offset
 * into the names) holding a BTF header, no program headers. Written byte by byte,
 * so the test does not depend on the host's struct layout. Returns its size. */
static size_t make_elf(uint8_t *b, uint32_t btf_name)
{
	static const char names[16] = "\0.shstrtab\0.BTF";	/* .BTF at 11 */
	const size_t names_off = 64, btf_off = 80, sh_off = 104;

	memset(b, 0, sh_off + 3 * 64);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	put16(b + 16, ET_EXEC);
	put16(b + 18, EM_X86_64);
	put32(b + 20, EV_CURRENT);
	put64(b + 40, sh_off);		/* e_shoff */
	put16(b + 52, 64);		/* e_ehsize */
	put16(b + 58, 64);		/* e_shentsize */
	put16(b + 60, 3);		/* e_shnum */
	put16(b + 62, 1);		/* e_shstrndx */
	memcpy(b + names_off, names, sizeof(names));
	/* 24-byte BTF header: magic 0xeb9f, version 1, hdr_len 24, empty sections */
	put16(b + btf_off, 0xeb9f);
	b[btf_off + 2] = 1;
	put32(b + btf_off + 4, 24);
	/* section 1: the names */
	put32(b + sh_off + 64, 1);
	put32(b + sh_off + 64 + 4, SHT_STRTAB);
	put64(b + sh_off + 64 + 24, names_off);
	put64(b + sh_off + 64 + 32, sizeof(names));
	/* section 2: .BTF (or whatever btf_name points at) */
	put32(b + sh_off + 128, btf_name);
	put32(b + sh_off + 128 + 4, SHT_PROGBITS);
	put64(b + sh_off + 128 + 24, btf_off);
	put64(b + sh_off + 128 + 32, 24);
	return sh_off + 3 * 64;
}

static int write_file(const char *path, const void *d, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, d, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static void test_btf_copy(void)
{
	const char *name = "kimg/btf_copy";
	char in[64], out[64], *got = NULL;
	struct pk_error e = { 0 };
	uint8_t elf[512];
	size_t n = make_elf(elf, 11), len = 0;

	snprintf(in, sizeof(in), "%s/ok.elf", tmpdir);
	snprintf(out, sizeof(out), "%s/ok.btf", tmpdir);
	CHECK(name, !write_file(in, elf, n), "cannot write %s", in);
	CHECK_INT(name, pk_kimg__write_btf(in, out, &e), 0);
	CHECK_INT(name, pk_file__read(out, &got, &len, 1 << 20), 0);
	CHECK(name, len == 24 && !memcmp(got, elf + 80, 24), "copied %zu bytes, not the section", len);
	free(got);
	PASS(name);
}

/* The wrap the review found: sh_name + 5 in 32-bit arithmetic is 1 for
 * sh_name 0xfffffffc, which passed the bound and read 4 GiB past the names. */
static void test_btf_name_wrap(void)
{
	static const uint32_t bad[] = { 0xfffffffc, 0xfffffffb, 0xffffffff, 16, 12 };
	const char *name = "kimg/btf_section_name_wrap";
	char in[64], out[64];
	uint8_t elf[512];

	snprintf(in, sizeof(in), "%s/wrap.elf", tmpdir);
	snprintf(out, sizeof(out), "%s/wrap.btf", tmpdir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pk_error e = { 0 };
		size_t n = make_elf(elf, bad[i]);
		int err;

		CHECK(name, !write_file(in, elf, n), "cannot write %s", in);
		err = pk_kimg__write_btf(in, out, &e);
		CHECK(name, err == -ENOEXEC || err == -ENOENT, "sh_name %#x: got %d (%s)", bad[i], err,
		      e.msg);
		CHECK(name, e.msg[0], "sh_name %#x: no reason", bad[i]);
		CHECK(name, access(out, F_OK), "sh_name %#x: a BTF file was written", bad[i]);
	}
	PASS(name);
}

static void test_probe_elf_without_pvh(void)
{
	const char *name = "kimg/probe_elf_without_pvh";
	struct pk_error e = { 0 };
	struct pk_kimg k;
	uint8_t elf[512];
	char in[64];
	size_t n = make_elf(elf, 11);

	snprintf(in, sizeof(in), "%s/nopvh.elf", tmpdir);
	CHECK(name, !write_file(in, elf, n), "cannot write %s", in);
	CHECK_INT(name, pk_kimg__probe(in, &k, &e), -ENOEXEC);
	CHECK_INT(name, k.kind, PK_KIMG_ELF);
	CHECK(name, strstr(e.msg, "without a PVH entry note"), "reason '%s'", e.msg);
	/* and a file that is no kernel at all */
	CHECK(name, !write_file(in, "hello", 5), "cannot write %s", in);
	CHECK_INT(name, pk_kimg__probe(in, &k, &e), -ENOEXEC);
	CHECK(name, strstr(e.msg, "not a kernel image"), "reason '%s'", e.msg);
	PASS(name);
}

/* the temp file is a fresh name (mkostemp), never a planted "<out>.tmp" symlink */
static void test_initramfs_tmp_name(void)
{
	const char *name = "initramfs/tmp-name";
	PK_INITRAMFS_OPTS(o, .probekit = "/bin/true", .nonce = "f00d");
	char out[512], planted[600], victim[600], cmd[1300], *text = NULL;
	struct pk_error e = { 0 };
	struct stat st;
	size_t n = 0;
	int rc;

	snprintf(out, sizeof(out), "%s/initrd.cpio", tmpdir);
	snprintf(planted, sizeof(planted), "%s.tmp", out);
	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	if (pk_file__write_atomic(victim, "keep", 4) || symlink(victim, planted)) {
		FAIL(name, "setup: %s", strerror(errno));
		return;
	}
	rc = pk_initramfs__build(out, &o, &e);
	if (rc == -ENOENT && strstr(e.msg, "busybox")) {
		SKIP(name, e.msg);
		return;
	}
	CHECK_INT(name, rc, 0);
	CHECK(name, !stat(out, &st) && st.st_size > 0, "no '%s'", out);
	CHECK_INT(name, pk_file__read(victim, &text, &n, 64), 0);
	CHECK(name, text && n == 4 && !memcmp(text, "keep", 4), "the symlink's target was written");
	free(text);
	snprintf(cmd, sizeof(cmd), "ls '%s'/initrd.cpio.tmp.* >/dev/null 2>&1", tmpdir);
	CHECK(name, system(cmd) != 0, "a temp file was left behind");
	PASS(name);
}

int main(void)
{
	char cmd[64];

	test_verdict();
	test_panic_before_init();
	test_panic_after_init();
	test_no_verdict();
	test_end_at_eof();
	test_rc();
	test_guest_pass();
	test_guest_fail_reasons();
	test_guest_invalid();
	test_guest_source();
	test_judge_repo_modes();
	if (!mkdtemp(tmpdir)) {
		FAIL("kimg", "mkdtemp: %s", strerror(errno));
		return UNIT_EXIT();
	}
	test_btf_copy();
	test_btf_name_wrap();
	test_probe_elf_without_pvh();
	test_initramfs_tmp_name();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		FAIL("kimg", "cannot remove %s", tmpdir);
	return UNIT_EXIT();
}
