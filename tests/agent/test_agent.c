/* Unit tests of the agent's pieces that need no kernel: candidate ordering,
 * event kinds, JSON encoding of events and of hostile strings, the failure and
 * options helpers, libbpf's messages through our print callback. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf/btf_archive.h"
#include "agent/event.h"
#include "common/json.h"
#include "agent/loader.h"
#include "agent/selfcheck.h"
#include "common/libbpf_print.h"
#include "unit.h"

static void fake_host(struct pk_host *h, enum pk_kernel_btf src)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->kernel_release, "6.1.0-26-amd64");
	strcpy(h->arch, "x86_64");
	strcpy(h->os.id, "debian");
	strcpy(h->os.version_id, "12");
	h->btf_source = src;
	if (src == PK_KERNEL_BTF_SYSFS)
		strcpy(h->btf_path, "/sys/kernel/btf/vmlinux");
	else if (src == PK_KERNEL_BTF_FILE)
		strcpy(h->btf_path, "/boot/vmlinux-6.1.0-26-amd64");
}

static void all_features(struct pk_features *f)
{
	memset(f, 0, sizeof(*f));
	f->ringbuf = f->perfbuf = f->raw_tp = f->tp_btf = true;
}

static const char *order(const struct pk_chain *ch, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < ch->n; i++)
		off += snprintf(buf + off, size - off, "%s%s%s", i ? "," : "", ch->c[i].name,
				ch->c[i].state == PK_ATTEMPT_SKIPPED ? "(skip)" : "");
	return buf;
}

static void test_chain_default(void)
{
	const char *t = "chain: sysfs BTF host tries embedded-btf then embedded-core";
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	char b[512];
	PK_CHAIN_OPTS(o);

	fake_host(&h, PK_KERNEL_BTF_SYSFS);
	all_features(&f);
	CHECK(t, pk_chain__build(&ch, &h, &f, &o) == 0, "build failed");
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf,embedded-core,embedded-core+reduced-btf(skip)");
	CHECK_INT(t, ch.c[0].btf_src, PK_CAND_BTF_KERNEL);
	CHECK(t, strstr(ch.c[2].err.msg, "no reduced BTF"), "reason: %s", ch.c[2].err.msg);
	CHECK(t, ch.c[0].obj_len > 0 && ch.c[1].obj_len > 0, "embedded objects missing");
	PASS(t);
}

static void test_chain_explicit(void)
{
	const char *t = "chain: --probe and --btf come first, kernel BTF candidates follow";
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	char b[512];
	PK_CHAIN_OPTS(o, .probe_path = "/x/probe.o", .probe_origin = "--probe",
		      .btf_path = "/x/k.btf", .btf_origin = "--btf");

	fake_host(&h, PK_KERNEL_BTF_SYSFS);
	all_features(&f);
	pk_chain__build(&ch, &h, &f, &o);
	CHECK_STR(t, order(&ch, b, sizeof(b)),
		  "explicit,embedded-btf,embedded-core+btf-file,embedded-core,embedded-core+reduced-btf(skip)");
	CHECK_INT(t, ch.c[0].btf_src, PK_CAND_BTF_PATH);
	CHECK_STR(t, ch.c[0].btf_path, "/x/k.btf");
	CHECK_STR(t, ch.c[0].obj_desc, "/x/probe.o");
	CHECK_STR(t, ch.c[1].btf_path, "/x/k.btf");
	CHECK_INT(t, ch.c[3].btf_src, PK_CAND_BTF_KERNEL);
	PASS(t);
}

static void test_chain_no_sysfs(void)
{
	const char *t = "chain: BTF only in /boot skips tp_btf, core gets the path";
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	char b[512];
	PK_CHAIN_OPTS(o);

	fake_host(&h, PK_KERNEL_BTF_FILE);
	all_features(&f);
	pk_chain__build(&ch, &h, &f, &o);
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf(skip),embedded-core,embedded-core+reduced-btf(skip)");
	CHECK(t, strstr(ch.c[0].err.msg, "/sys/kernel/btf/vmlinux"), "reason: %s", ch.c[0].err.msg);
	CHECK_INT(t, ch.c[1].btf_src, PK_CAND_BTF_PATH);
	CHECK_STR(t, ch.c[1].btf_path, "/boot/vmlinux-6.1.0-26-amd64");
	PASS(t);
}

static void test_chain_nothing(void)
{
	const char *t = "chain: no BTF anywhere skips every embedded candidate with reasons";
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	char b[512];
	PK_CHAIN_OPTS(o);

	fake_host(&h, PK_KERNEL_BTF_NONE);
	all_features(&f);
	f.tp_btf = false;
	pk_chain__build(&ch, &h, &f, &o);
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf(skip),embedded-core(skip),embedded-core+reduced-btf(skip)");
	CHECK(t, strstr(ch.c[1].err.msg, "--btf"), "reason: %s", ch.c[1].err.msg);
	PASS(t);
}

static void test_chain_no_tp_btf(void)
{
	const char *t = "chain: kernel without tp_btf support skips embedded-btf";
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	char b[512];
	PK_CHAIN_OPTS(o);

	fake_host(&h, PK_KERNEL_BTF_SYSFS);
	all_features(&f);
	f.tp_btf = false;
	pk_chain__build(&ch, &h, &f, &o);
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf(skip),embedded-core,embedded-core+reduced-btf(skip)");
	CHECK(t, strstr(ch.c[0].err.msg, "tp_btf"), "reason: %s", ch.c[0].err.msg);
	/* probing refused (EPERM): nothing skipped on feature grounds */
	f.raw_tp = false;
	f.probe_errno = 1;
	pk_chain__build(&ch, &h, &f, &o);
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf,embedded-core,embedded-core+reduced-btf(skip)");
	PASS(t);
}

/* a tiny valid BTF: one int type */
static void *tiny_btf(size_t *len)
{
	struct btf *btf = btf__new_empty();
	const void *raw;
	void *copy;
	uint32_t sz;

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	raw = btf__raw_data(btf, &sz);
	copy = malloc(sz);
	memcpy(copy, raw, sz);
	*len = sz;
	btf__free(btf);
	return copy;
}

static void test_chain_reduced_btf(void)
{
	const char *t = "chain: reduced BTF by exact key from an archive, near misses never used";
	struct pk_btf_archive_writer *w = pk_btf_archive_writer__new(NULL);
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	size_t blen, alen;
	void *btf = tiny_btf(&blen), *arc;
	char b[512];

	CHECK(t, w && !pk_btf_archive_writer__add(w, "debian", "12", "x86_64", "6.1.0-26-amd64", btf, blen, NULL) &&
		 !pk_btf_archive_writer__add(w, "debian", "12", "x86_64", "6.1.0-25-amd64", btf, blen, NULL) &&
		 !pk_btf_archive_writer__finish(w, &arc, &alen, NULL), "cannot build the archive");
	fake_host(&h, PK_KERNEL_BTF_NONE);
	all_features(&f);
	{
		PK_CHAIN_OPTS(o, .btf_archive_data = arc, .btf_archive_len = alen);

		pk_chain__build(&ch, &h, &f, &o);
	}
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf(skip),embedded-core(skip),embedded-core+reduced-btf");
	CHECK(t, ch.c[2].btf_src == PK_CAND_BTF_MEMORY && ch.c[2].btf_len == blen &&
		 !memcmp(ch.c[2].btf_data, btf, blen) && ch.c[2].archive_hit, "wrong BTF handed over");
	pk_chain__free(&ch);

	strcpy(h.kernel_release, "6.1.0-27-amd64");	/* not in the archive */
	{
		PK_CHAIN_OPTS(o, .btf_archive_data = arc, .btf_archive_len = alen);

		pk_chain__build(&ch, &h, &f, &o);
	}
	CHECK_STR(t, order(&ch, b, sizeof(b)), "embedded-btf(skip),embedded-core(skip),embedded-core+reduced-btf(skip)");
	CHECK(t, strstr(ch.c[2].err.msg, "near misses (never used): 6.1.0-25-amd64, 6.1.0-26-amd64"),
	      "reason: %s", ch.c[2].err.msg);
	CHECK_INT(t, ch.c[2].archive_near_misses, 2);

	((char *)arc)[alen / 2] ^= 0x55;	/* a corrupt archive is skipped with its reason */
	{
		PK_CHAIN_OPTS(o, .btf_archive_data = arc, .btf_archive_len = alen);

		pk_chain__build(&ch, &h, &f, &o);
	}
	CHECK(t, ch.c[2].state == PK_ATTEMPT_SKIPPED && strstr(ch.c[2].err.msg, "unusable"),
	      "reason: %s", ch.c[2].err.msg);
	pk_chain__free(&ch);
	pk_btf_archive_writer__free(w);
	free(arc);
	free(btf);
	PASS(t);
}

static void test_kinds(void)
{
	const char *t = "event kinds parse and print";
	uint32_t m;
	char bad[32], s[128];

	CHECK(t, pk_kinds__parse("exec,exit", &m, bad, sizeof(bad)) == 0, "parse failed");
	CHECK_INT(t, m, PK_KIND_BIT(PK_EV_EXEC) | PK_KIND_BIT(PK_EV_EXIT));
	CHECK(t, pk_kinds__parse("exec,bogus", &m, bad, sizeof(bad)) == -EINVAL, "accepted bogus");
	CHECK_STR(t, bad, "bogus");
	CHECK(t, pk_kinds__parse("", &m, bad, sizeof(bad)) == -EINVAL, "accepted empty");
	CHECK(t, pk_kinds__parse("all", &m, NULL, 0) == 0, "all");
	pk_kinds__str(m, s, sizeof(s));
	CHECK_STR(t, s, "exec,fork,exit,connect,accept,close,open");
	PASS(t);
}

static const char *to_json(const void *e, size_t len, struct pk_json *j)
{
	pk_json__reset(j);
	pk_event__to_json(e, len, 1000, j);
	return j->buf;
}

static void test_json_exec(void)
{
	const char *t = "json: exec with argv, hostile bytes escaped";
	struct pk_exec_event e;
	struct pk_json j;
	static const char args[] = "ls\0-l\0a\"b\\c\n\x01\xff";

	memset(&e, 0, sizeof(e));
	e.hdr.kind = PK_EV_EXEC;
	e.hdr.ts_ns = 5;
	e.hdr.pid = 42;
	e.hdr.tid = 42;
	memcpy(e.hdr.comm, "ls", 3);
	e.ppid = 1;
	strcpy(e.filename, "/bin/ls");
	memcpy(e.args, args, sizeof(args) - 1);
	e.args_len = sizeof(args) - 1;
	pk_json__init(&j, false);
	to_json(&e, sizeof(e), &j);
	CHECK_STR(t, j.buf,
		  "{\"ts\":1005,\"kind\":\"exec\",\"pid\":42,\"tid\":42,\"uid\":0,\"gid\":0,"
		  "\"comm\":\"ls\",\"cgroup_id\":0,\"ppid\":1,\"filename\":\"/bin/ls\","
		  "\"args\":[\"ls\",\"-l\",\"a\\\"b\\\\c\\n\\u0001\\u00ff\"],\"args_truncated\":false}");
	/* a lying args_len never reads past the record */
	e.args_len = 100000;
	to_json(&e, sizeof(e), &j);
	CHECK(t, j.err == 0 && strstr(j.buf, "\"args\":["), "bad args_len: %s", j.buf);
	pk_json__free(&j);
	PASS(t);
}

static void test_json_sock(void)
{
	const char *t = "json: connect v4 and close v6 addresses";
	struct pk_sock_event e;
	struct pk_json j;

	memset(&e, 0, sizeof(e));
	e.hdr.kind = PK_EV_CONNECT;
	e.family = 2;
	e.sport = 40000;
	e.dport = 80;
	e.saddr[0] = 10, e.saddr[3] = 1;
	e.daddr[0] = 127, e.daddr[3] = 1;
	e.result = -111;
	pk_json__init(&j, false);
	to_json(&e, sizeof(e), &j);
	CHECK(t, strstr(j.buf, "\"family\":\"ipv4\",\"saddr\":\"10.0.0.1\",\"sport\":40000,"
			       "\"daddr\":\"127.0.0.1\",\"dport\":80,\"result\":-111,"
			       "\"error\":\"Connection refused\""), "got %s", j.buf);
	e.hdr.kind = PK_EV_CLOSE;
	e.family = 10;
	memset(e.saddr, 0, 16);
	e.saddr[15] = 1;
	e.duration_ns = 7;
	to_json(&e, sizeof(e), &j);
	CHECK(t, strstr(j.buf, "\"family\":\"ipv6\",\"saddr\":\"::1\"") &&
		 strstr(j.buf, "\"duration_ns\":7"), "got %s", j.buf);
	pk_json__free(&j);
	PASS(t);
}

static void test_json_exit(void)
{
	const char *t = "json: exit code and signal decoded from the wait status";
	struct pk_exit_event e;
	struct pk_json j;

	memset(&e, 0, sizeof(e));
	e.hdr.kind = PK_EV_EXIT;
	e.exit_code = 3 << 8;
	pk_json__init(&j, false);
	to_json(&e, sizeof(e), &j);
	CHECK(t, strstr(j.buf, "\"exit_code\":3,\"signal\":0,\"core_dumped\":false"), "got %s", j.buf);
	e.exit_code = 9 | 0x80;
	to_json(&e, sizeof(e), &j);
	CHECK(t, strstr(j.buf, "\"exit_code\":0,\"signal\":9,\"core_dumped\":true"), "got %s", j.buf);
	pk_json__free(&j);
	PASS(t);
}

static void test_short_records(void)
{
	const char *t = "records shorter than their kind are rejected";
	struct pk_exec_event e;
	struct pk_json j;
	char text[256];

	memset(&e, 0, sizeof(e));
	e.hdr.kind = PK_EV_EXEC;
	CHECK_INT(t, pk_event__kind(&e, sizeof(e) - 1), -EINVAL);
	CHECK_INT(t, pk_event__kind(&e, 3), -EINVAL);
	e.hdr.kind = 99;
	CHECK_INT(t, pk_event__kind(&e, sizeof(e)), -EINVAL);
	pk_json__init(&j, false);
	to_json(&e, sizeof(e), &j);
	CHECK(t, strstr(j.buf, "\"kind\":\"invalid\""), "got %s", j.buf);
	pk_event__to_text(&e, 10, 0, text, sizeof(text));
	CHECK(t, strstr(text, "invalid"), "got %s", text);
	pk_json__free(&j);
	PASS(t);
}

static void test_open_variable_length(void)
{
	const char *t = "open records carry only the used path bytes; shorter ones are invalid";
	unsigned char buf[sizeof(struct pk_open_event)];
	struct pk_open_event *e = (struct pk_open_event *)buf, tmp;
	size_t base = offsetof(struct pk_open_event, path), len;
	const struct pk_open_event *full;
	struct pk_json j;
	char text[512];

	memset(buf, 0xee, sizeof(buf));	/* bytes past the record must never show */
	memset(e, 0, base);
	e->hdr.kind = PK_EV_OPEN;
	e->result = -2;
	memcpy(e->path, "/etc/x", 7);
	len = base + 7;
	CHECK_INT(t, pk_event__kind(e, len), PK_EV_OPEN);
	CHECK_INT(t, pk_event__kind(e, base), -EINVAL);
	full = pk_event__full(e, &len, &tmp);
	CHECK(t, full == &tmp && len == sizeof(tmp), "not expanded (len %zu)", len);
	CHECK(t, tmp.path[7] == 0 && tmp.path[PK_PATH_LEN - 1] == 0, "padding not zeroed");
	pk_json__init(&j, false);
	to_json(e, base + 7, &j);
	CHECK(t, strstr(j.buf, "\"path\":\"/etc/x\""), "got %s", j.buf);
	/* a path without its NUL in the record ends at the record */
	memcpy(e->path, "/abcdefgh", 9);
	to_json(e, base + 4, &j);
	CHECK(t, strstr(j.buf, "\"path\":\"/abc\""), "got %s", j.buf);
	pk_event__to_text(e, base + 4, 0, text, sizeof(text));
	CHECK(t, strstr(text, "/abc") && !strstr(text, "/abcd"), "got %s", text);
	len = sizeof(*e);
	CHECK(t, pk_event__full(e, &len, &tmp) == e, "full-size record copied");
	pk_json__free(&j);
	PASS(t);
}

static void test_json_writer(void)
{
	const char *t = "json writer: nesting, pretty output, invalid UTF-8";
	struct pk_json j;

	pk_json__init(&j, false);
	pk_json__obj_begin(&j);
	pk_json__kv_str(&j, "a", "\xc3\xa9");	/* valid é stays */
	pk_json__kv_str(&j, "b", "\xc3");	/* truncated sequence */
	pk_json__key(&j, "c");
	pk_json__arr_begin(&j);
	pk_json__int(&j, -1);
	pk_json__null(&j);
	pk_json__arr_end(&j);
	pk_json__kv_str(&j, "d", NULL);
	pk_json__obj_end(&j);
	CHECK_STR(t, j.buf, "{\"a\":\"\xc3\xa9\",\"b\":\"\\u00c3\",\"c\":[-1,null],\"d\":null}");
	pk_json__free(&j);
	PASS(t);
}

static void no_event(void *ctx, const void *data, size_t len)
{
}

struct fetch_ctx {
	int calls;
};

/* a source whose fetch fails, as a download would without a network */
static int fetch_fails(struct pk_candidate *c, void *ctx, struct pk_error *err)
{
	((struct fetch_ctx *)ctx)->calls++;
	return pk_error__set(err, -ENETUNREACH, "repository unreachable");
}

static void test_loader_walk(void)
{
	const char *t = "loader: the walk records each candidate's stage, errno and reason";
	struct fetch_ctx fc = { 0 };
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	struct pk_loaded won;
	struct pk_candidate *c;
	PK_CHAIN_OPTS(o, .probe_path = "/nonexistent/probe.o", .probe_origin = "--probe");
	PK_LOADER_OPTS(lo, .on_event = no_event);
	struct { struct pk_loader_opts inner; char extra[8]; } big;
	int err;

	/* no kernel BTF: every embedded candidate is skipped, only explicit and
	 * the fetching source are tried, and both fail before the kernel is asked */
	fake_host(&h, PK_KERNEL_BTF_NONE);
	all_features(&f);
	CHECK(t, pk_chain__build(&ch, &h, &f, &o) == 0, "build failed");
	c = pk_chain__add(&ch, "download");
	CHECK(t, c != NULL, "chain full");
	c->obj_src = PK_CAND_OBJ_FILE;
	c->fetch = fetch_fails;
	c->fetch_ctx = &fc;
	err = pk_loader__run(&ch, &lo, &won);
	CHECK_INT(t, err, -ENOENT);
	CHECK_INT(t, ch.winner, -1);
	CHECK(t, won.probe == NULL && won.buffer == NULL, "a loser was handed back");
	CHECK_INT(t, ch.c[0].state, PK_ATTEMPT_FAILED);
	CHECK_STR(t, ch.c[0].stage, "open");
	CHECK_INT(t, ch.c[0].err.code, -ENOENT);
	CHECK(t, strstr(ch.c[0].err.msg, "cannot open '/nonexistent/probe.o'"), "reason: %s",
	      ch.c[0].err.msg);
	for (int i = 1; i < ch.n - 1; i++)
		CHECK(t, ch.c[i].state == PK_ATTEMPT_SKIPPED, "%s not skipped", ch.c[i].name);
	c = &ch.c[ch.n - 1];
	CHECK_INT(t, fc.calls, 1);
	CHECK_INT(t, c->state, PK_ATTEMPT_FAILED);
	CHECK_STR(t, c->stage, "fetch");
	CHECK_INT(t, c->err.code, -ENETUNREACH);
	CHECK_STR(t, c->err.msg, "repository unreachable");
	pk_chain__free(&ch);

	/* options: no event callback, or a larger struct with unknown non-zero bytes */
	lo.on_event = NULL;
	CHECK_INT(t, pk_loader__run(&ch, &lo, &won), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.inner.sz = sizeof(big);
	big.inner.on_event = no_event;
	big.extra[3] = 1;
	CHECK_INT(t, pk_loader__run(&ch, &big.inner, &won), -EINVAL);
	PASS(t);
}

static void test_candidate_fail(void)
{
	const char *t = "candidate: a failure records stage, errno and reason";
	struct pk_candidate c;

	memset(&c, 0, sizeof(c));
	pk_error__set(&c.err, -ENOENT, "cannot open 'x.o'");
	CHECK_INT(t, pk_candidate__fail(&c, "open"), -ENOENT);
	CHECK_INT(t, c.state, PK_ATTEMPT_FAILED);
	CHECK_STR(t, c.stage, "open");
	CHECK_INT(t, c.err.code, -ENOENT);
	CHECK_STR(t, c.err.msg, "cannot open 'x.o'");
	/* a reason without an errno is still a failure: never code 0 */
	memset(&c, 0, sizeof(c));
	pk_strlcpy(c.err.msg, "odd", sizeof(c.err.msg));
	CHECK_INT(t, pk_candidate__fail(&c, "self-check"), -EINVAL);
	CHECK_STR(t, c.stage, "self-check");
	CHECK_STR(t, c.err.msg, "odd");
	PASS(t);
}

/* a caller's larger options struct with bytes we do not know is refused before
 * any field is read */
static void test_opts_invalid(void)
{
	const char *t = "options: chain and self-check refuse unknown non-zero bytes";
	struct { struct pk_chain_opts inner; char extra[8]; } cbig;
	struct { struct pk_selfcheck_opts inner; char extra[8]; } sbig;
	struct pk_selfcheck sc;
	struct pk_error err = { 0 };
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;

	fake_host(&h, PK_KERNEL_BTF_SYSFS);
	all_features(&f);
	memset(&cbig, 0, sizeof(cbig));
	cbig.inner.sz = sizeof(cbig);
	cbig.inner.probe_path = "/nonexistent/probe.o";
	cbig.extra[0] = 1;
	CHECK_INT(t, pk_chain__build(&ch, &h, &f, &cbig.inner), -EINVAL);
	CHECK(t, ch.n == 0 && ch.winner == -1, "chain not left empty: n=%d", ch.n);
	cbig.extra[0] = 0;	/* zeros past our struct are fine: an older us */
	CHECK_INT(t, pk_chain__build(&ch, &h, &f, &cbig.inner), 0);
	CHECK_STR(t, ch.c[0].name, "explicit");
	pk_chain__free(&ch);

	memset(&sc, 0, sizeof(sc));
	memset(&sbig, 0, sizeof(sbig));
	sbig.inner.sz = sizeof(sbig);
	sbig.extra[7] = 1;
	/* no probe, no buffer: an invalid struct must return before either is used */
	CHECK_INT(t, pk_selfcheck__run(&sc, NULL, NULL, &sbig.inner, &err), -EINVAL);
	CHECK_STR(t, err.msg, "invalid self-check options");
	CHECK(t, !sc.active && !sc.runs, "the canary was started");
	PASS(t);
}

static struct {
	int calls;
	enum pk_print_level level;
	char msg[4096];
} seen;

static int count_print(enum pk_print_level level, const char *fmt, va_list ap)
{
	seen.calls++;
	seen.level = level;
	return vsnprintf(seen.msg, sizeof(seen.msg), fmt, ap);
}

/* call libbpf's installed print callback as libbpf would */
static void libbpf_says(libbpf_print_fn_t fn, enum libbpf_print_level l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fn(l, fmt, ap);
	va_end(ap);
}

static void test_libbpf_print(void)
{
	const char *t = "libbpf_print: levels mapped, what is not shown never reaches the callback";
	pk_print_fn_t old = pk_set_print(count_print);
	libbpf_print_fn_t fn;
	char long_arg[3000];

	memset(&seen, 0, sizeof(seen));
	pk_libbpf__route_print(PK_WARN);	/* no -v */
	fn = libbpf_set_print(NULL);
	CHECK(t, fn != NULL, "no libbpf callback installed");
	libbpf_says(fn, LIBBPF_DEBUG, "libbpf: %s %d\n", "debug", 1);
	libbpf_says(fn, LIBBPF_WARN, "libbpf: %s\n", "warn");
	CHECK_INT(t, seen.calls, 0);

	pk_libbpf__route_print(PK_DEBUG);	/* -v */
	fn = libbpf_set_print(NULL);
	libbpf_says(fn, LIBBPF_DEBUG, "libbpf: %s %d\n", "debug", 1);
	CHECK_INT(t, seen.calls, 1);
	CHECK_INT(t, seen.level, PK_DEBUG);
	CHECK_STR(t, seen.msg, "libbpf: debug 1\n");
	libbpf_says(fn, LIBBPF_WARN, "libbpf: %s\n", "warn");
	CHECK_INT(t, seen.level, PK_INFO);	/* a candidate's trouble, not the operator's */
	/* longer than the router's stack buffer: whole, not cut */
	memset(long_arg, 'x', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = 0;
	libbpf_says(fn, LIBBPF_INFO, "libbpf: %s|\n", long_arg);
	CHECK_INT(t, seen.calls, 3);
	CHECK_INT(t, strlen(seen.msg), strlen("libbpf: ") + sizeof(long_arg) - 1 + 2);
	pk_libbpf__route_print(PK_WARN);
	libbpf_set_print(NULL);
	pk_set_print(old);
	PASS(t);
}

int main(void)
{
	test_chain_default();
	test_chain_explicit();
	test_chain_no_sysfs();
	test_chain_nothing();
	test_chain_no_tp_btf();
	test_chain_reduced_btf();
	test_loader_walk();
	test_candidate_fail();
	test_opts_invalid();
	test_libbpf_print();
	test_kinds();
	test_json_exec();
	test_json_sock();
	test_json_exit();
	test_short_records();
	test_open_variable_length();
	test_json_writer();
	return UNIT_EXIT();
}
