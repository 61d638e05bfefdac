/* Unit tests for the metrics endpoint (src/agent/metrics.c): the real
 * libmicrohttpd on 127.0.0.1 (port 0), fetched with libcurl: exact exposition
 * lines, label escaping, /healthz, /ready, 404, 405, bad addresses, a taken port. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent/chain.h"
#include "agent/metrics.h"
#include "common/pk.h"
#include "probe.h"
#include "unit.h"

struct reply {
	long status;
	char type[128];
	char allow[64];
	char body[65536];
	size_t len;
	CURLcode rc;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t take = sz * n;

	if (take > sizeof(r->body) - 1 - r->len)
		take = sizeof(r->body) - 1 - r->len;
	memcpy(r->body + r->len, p, take);
	r->len += take;
	r->body[r->len] = 0;
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t len = sz * n;

	if (len > 7 && !strncasecmp(p, "Allow: ", 7)) {
		size_t v = len - 7;

		while (v && (p[7 + v - 1] == '\r' || p[7 + v - 1] == '\n'))
			v--;
		if (v >= sizeof(r->allow))
			v = sizeof(r->allow) - 1;
		memcpy(r->allow, p + 7, v);
		r->allow[v] = 0;
	}
	return len;
}

/* method: "GET", "HEAD" or "POST"; host "127.0.0.1" or "[::1]" */
static void fetch(struct reply *r, const char *method, const char *host, int port, const char *path)
{
	CURL *c = curl_easy_init();
	char url[256];
	char *type = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://%s:%d%s", host, port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	r->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (!curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) && type)
		pk_strlcpy(r->type, type, sizeof(r->type));
	curl_easy_cleanup(c);
}

/* the body has this exact line */
static bool has_line(const char *body, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = body; (p = strstr(p, line)); p++)
		if ((p == body || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define CHECK_LINE(name, body, line) CHECK(name, has_line(body, line), "no line '%s' in:\n%s", line, body)

/* every sample's metric has HELP and TYPE lines before it, each once */
static const char *check_shape(const char *body)
{
	static char why[256];
	char seen[64][64];
	int nseen = 0;
	char name[64];

	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n;

		if (!nl)
			return "last line has no newline";
		if (!strncmp(p, "# HELP ", 7)) {
			n = strcspn(p + 7, " \n");
			snprintf(name, sizeof(name), "%.*s", (int)n, p + 7);
			for (int i = 0; i < nseen; i++)
				if (!strcmp(seen[i], name))
					return snprintf(why, sizeof(why), "HELP twice for %s", name), why;
			if (nseen < 64)
				pk_strlcpy(seen[nseen++], name, sizeof(seen[0]));
			if (strncmp(nl + 1, "# TYPE ", 7) || strncmp(nl + 8, name, strlen(name)))
				return snprintf(why, sizeof(why), "no TYPE after HELP of %s", name), why;
		} else if (*p != '#') {
			bool known = false;

			n = strcspn(p, "{ ");
			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			for (int i = 0; i < nseen; i++)
				known |= !strcmp(seen[i], name);
			if (!known || strncmp(name, "probekit_", 9))
				return snprintf(why, sizeof(why), "sample of %s without HELP/TYPE", name), why;
		}
		p = nl + 1;
	}
	return NULL;
}

/* threads other than this one that block SIGTERM and SIGINT, and those that do not */
static void count_blocking_threads(int *blocking, int *not_blocking)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	*blocking = *not_blocking = 0;
	while (d && (e = readdir(d))) {
		char path[300], line[256];
		unsigned long long blk = 0;
		FILE *f;

		if (e->d_name[0] == '.' || atoi(e->d_name) == gettid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "SigBlk: %llx", &blk);
		if (f)
			fclose(f);
		if ((blk >> (SIGTERM - 1) & 1) && (blk >> (SIGINT - 1) & 1))
			(*blocking)++;
		else
			(*not_blocking)++;
	}
	if (d)
		closedir(d);
}

static struct pk_chain chain_a, chain_b;

static void make_chains(void)
{
	/* a: a failed explicit candidate whose name needs escaping, the second wins */
	chain_a.n = 3;
	chain_a.winner = 1;
	pk_strlcpy(chain_a.c[0].name, "ex\"pl\\ic\nit", sizeof(chain_a.c[0].name));
	chain_a.c[0].state = PK_ATTEMPT_FAILED;
	pk_strlcpy(chain_a.c[0].stage, "open", sizeof(chain_a.c[0].stage));
	pk_strlcpy(chain_a.c[1].name, "embedded-btf", sizeof(chain_a.c[1].name));
	chain_a.c[1].state = PK_ATTEMPT_OK;
	pk_strlcpy(chain_a.c[2].name, "embedded-core", sizeof(chain_a.c[2].name));
	chain_a.c[2].state = PK_ATTEMPT_PENDING;
	/* b: the first candidate wins, no fallback */
	chain_b.n = 2;
	chain_b.winner = 0;
	pk_strlcpy(chain_b.c[0].name, "embedded-btf", sizeof(chain_b.c[0].name));
	chain_b.c[0].state = PK_ATTEMPT_OK;
	pk_strlcpy(chain_b.c[1].name, "embedded-core", sizeof(chain_b.c[1].name));
	chain_b.c[1].state = PK_ATTEMPT_PENDING;
}

static void test_endpoints(void)
{
	PK_METRICS_OPTS(o, .version = "1.2-\"x\"", .start_time = 1700000000,
			.kinds = PK_KIND_BIT(PK_EV_EXEC) | PK_KIND_BIT(PK_EV_FORK) | PK_KIND_BIT(PK_EV_OPEN));
	struct pk_error err = { 0 };
	struct pk_metrics *m = NULL;
	static struct reply r;
	uint64_t ev[PK_EV_MAX] = { 0 }, dr[PK_EV_MAX] = { 0 };
	char want[128];
	const char *why;
	int port, rc;

	rc = pk_metrics__start("127.0.0.1:0", &o, &m, &err);
	CHECK("metrics/start", rc == 0 && m, "rc %d: %s", rc, err.msg);
	port = pk_metrics__port(m);
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	CHECK("metrics/port_0_takes_a_free_port", port > 0, "port %d", port);
	CHECK_STR("metrics/addr", pk_metrics__addr(m), want);
	PASS("metrics/start on 127.0.0.1:0");
	{
		int blocking, not_blocking;
		sigset_t mine;

		count_blocking_threads(&blocking, &not_blocking);
		pthread_sigmask(SIG_SETMASK, NULL, &mine);
		CHECK("metrics/server_thread_blocks_signals", blocking >= 1 && !not_blocking &&
		      !sigismember(&mine, SIGTERM), "%d threads block SIGTERM/SIGINT, %d do not",
		      blocking, not_blocking);
		PASS("metrics/the server's thread blocks SIGTERM and SIGINT (the agent's thread gets them)");
	}

	fetch(&r, "GET", "127.0.0.1", port, "/healthz");
	CHECK("metrics/healthz", r.rc == CURLE_OK && r.status == 200 && !strcmp(r.body, "ok\n"),
	      "rc %d status %ld body '%s'", r.rc, r.status, r.body);
	PASS("metrics/healthz 200 ok");

	fetch(&r, "GET", "127.0.0.1", port, "/ready");
	CHECK("metrics/ready_before", r.status == 503 && !strcmp(r.body, "not ready\n"),
	      "status %ld body '%s'", r.status, r.body);
	pk_metrics__set_ready(m, true);
	fetch(&r, "GET", "127.0.0.1", port, "/ready");
	CHECK("metrics/ready_set", r.status == 200 && !strcmp(r.body, "ready\n"), "status %ld body '%s'",
	      r.status, r.body);
	pk_metrics__set_ready(m, false);
	fetch(&r, "GET", "127.0.0.1", port, "/ready");
	CHECK("metrics/ready_cleared", r.status == 503, "status %ld", r.status);
	PASS("metrics/ready: 503, then 200 when set, 503 again when cleared");

	fetch(&r, "GET", "127.0.0.1", port, "/nope");
	CHECK("metrics/404", r.status == 404, "status %ld", r.status);
	fetch(&r, "GET", "127.0.0.1", port, "/metrics/");
	CHECK("metrics/404_trailing_slash", r.status == 404, "status %ld", r.status);
	PASS("metrics/other paths 404");

	fetch(&r, "POST", "127.0.0.1", port, "/metrics");
	CHECK("metrics/405", r.status == 405 && !strcmp(r.allow, "GET, HEAD"), "status %ld allow '%s'",
	      r.status, r.allow);
	PASS("metrics/POST 405 with Allow: GET, HEAD");

	fetch(&r, "HEAD", "127.0.0.1", port, "/metrics");
	CHECK("metrics/head", r.rc == CURLE_OK && r.status == 200 && r.len == 0, "rc %d status %ld len %zu",
	      r.rc, r.status, r.len);
	PASS("metrics/HEAD 200 without a body");

	/* before the walk: zeros, no candidate */
	fetch(&r, "GET", "127.0.0.1", port, "/metrics");
	CHECK("metrics/get", r.status == 200, "status %ld", r.status);
	CHECK_STR("metrics/content_type", r.type, "text/plain; version=0.0.4; charset=utf-8");
	CHECK_LINE("metrics/build_info_escaped", r.body, "probekit_build_info{version=\"1.2-\\\"x\\\"\"} 1");
	CHECK_LINE("metrics/start_time", r.body, "probekit_start_time_seconds 1700000000");
	CHECK_LINE("metrics/ready_0", r.body, "probekit_ready 0");
	CHECK_LINE("metrics/events_0", r.body, "probekit_events_total{kind=\"exec\"} 0");
	CHECK_LINE("metrics/open_0", r.body, "probekit_drops_total{kind=\"open\"} 0");
	CHECK("metrics/only_enabled_kinds", !strstr(r.body, "kind=\"connect\""), "connect listed:\n%s",
	      r.body);
	CHECK("metrics/no_candidate_yet", !strstr(r.body, "probekit_candidate_info{"), "%s", r.body);
	CHECK_LINE("metrics/download_seeded", r.body, "probekit_download_failures_total{class=\"not_found\"} 0");
	CHECK_LINE("metrics/verify_seeded", r.body, "probekit_verification_failures_total{class=\"signature\"} 0");
	why = check_shape(r.body);
	CHECK("metrics/shape_before", !why, "%s in:\n%s", why, r.body);
	PASS("metrics/before the walk: content type, zeros, seeded classes, HELP/TYPE for every sample");

	/* after the walk */
	ev[PK_EV_EXEC] = 5;
	ev[PK_EV_FORK] = 3;
	ev[PK_EV_CONNECT] = 9;		/* not enabled: not exposed */
	dr[PK_EV_OPEN] = 18446744073709551615ull;
	pk_metrics__set_events(m, ev, PK_EV_MAX);
	pk_metrics__set_drops(m, dr, PK_EV_MAX);
	pk_metrics__set_lost(m, 7);
	pk_metrics__set_chain(m, &chain_a);
	pk_metrics__set_ready(m, true);
	pk_metrics__add_download_failure(m, "not_found");
	pk_metrics__add_download_failure(m, "not_found");
	pk_metrics__add_download_failure(m, "Bad Class!");
	pk_metrics__add_download_failure(m, NULL);
	pk_metrics__add_download_failure(m, "tls");
	pk_metrics__add_verify_failure(m, "digest");
	fetch(&r, "GET", "127.0.0.1", port, "/metrics");
	CHECK_LINE("metrics/events_exec", r.body, "probekit_events_total{kind=\"exec\"} 5");
	CHECK_LINE("metrics/events_fork", r.body, "probekit_events_total{kind=\"fork\"} 3");
	CHECK_LINE("metrics/drops_open_u64_max", r.body, "probekit_drops_total{kind=\"open\"} 18446744073709551615");
	CHECK("metrics/connect_not_exposed", !strstr(r.body, "kind=\"connect\""), "%s", r.body);
	CHECK_LINE("metrics/lost", r.body, "probekit_perf_lost_total 7");
	CHECK_LINE("metrics/ready_1", r.body, "probekit_ready 1");
	CHECK_LINE("metrics/winner", r.body, "probekit_candidate_info{candidate=\"embedded-btf\",index=\"1\"} 1");
	CHECK_LINE("metrics/fallback", r.body, "probekit_candidate_fallback 1");
	CHECK_LINE("metrics/state_escaped", r.body,
		   "probekit_candidate_state{candidate=\"ex\\\"pl\\\\ic\\nit\",index=\"0\",state=\"failed\",stage=\"open\"} 1");
	CHECK_LINE("metrics/state_ok", r.body,
		   "probekit_candidate_state{candidate=\"embedded-btf\",index=\"1\",state=\"ok\",stage=\"\"} 1");
	CHECK_LINE("metrics/state_not_tried", r.body,
		   "probekit_candidate_state{candidate=\"embedded-core\",index=\"2\",state=\"not-tried\",stage=\"\"} 1");
	CHECK_LINE("metrics/download_not_found", r.body, "probekit_download_failures_total{class=\"not_found\"} 2");
	CHECK_LINE("metrics/download_other", r.body, "probekit_download_failures_total{class=\"other\"} 2");
	CHECK_LINE("metrics/download_new_class", r.body, "probekit_download_failures_total{class=\"tls\"} 1");
	CHECK_LINE("metrics/verify_digest", r.body, "probekit_verification_failures_total{class=\"digest\"} 1");
	why = check_shape(r.body);
	CHECK("metrics/shape_after", !why, "%s in:\n%s", why, r.body);
	PASS("metrics/after the walk: exact counters, winner, fallback, states, escaped labels, classes");

	pk_metrics__set_chain(m, &chain_b);
	fetch(&r, "GET", "127.0.0.1", port, "/metrics");
	CHECK_LINE("metrics/no_fallback", r.body, "probekit_candidate_fallback 0");
	CHECK("metrics/old_chain_gone", !strstr(r.body, "ex\\\"pl"), "%s", r.body);
	PASS("metrics/first candidate wins: fallback 0, the previous chain replaced");

	/* classes beyond the table: the last slot is "other", no series is renamed */
	for (int i = 0; i < 20; i++) {
		char c[8];

		snprintf(c, sizeof(c), "c%d", i);
		pk_metrics__add_verify_failure(m, c);
	}
	fetch(&r, "GET", "127.0.0.1", port, "/metrics");
	/* 7 classes seeded (signature ... unverified), c0..c7 take the slots up to 15,
	 * the 16th is "other" */
	CHECK_LINE("metrics/classes_kept", r.body, "probekit_verification_failures_total{class=\"c7\"} 1");
	CHECK_LINE("metrics/classes_digest_kept", r.body, "probekit_verification_failures_total{class=\"digest\"} 1");
	CHECK("metrics/classes_capped", !strstr(r.body, "class=\"c8\""), "%s", r.body);
	CHECK_LINE("metrics/classes_other", r.body, "probekit_verification_failures_total{class=\"other\"} 12");
	PASS("metrics/at most 16 classes: the rest count as other");

	/* a taken port */
	{
		struct pk_metrics *m2 = NULL;
		struct pk_error e2 = { 0 };

		rc = pk_metrics__start(want, NULL, &m2, &e2);
		CHECK("metrics/eaddrinuse", rc == -EADDRINUSE && !m2 && strstr(e2.msg, want) &&
		      strstr(e2.msg, "Address already in use"), "rc %d: %s", rc, e2.msg);
		PASS("metrics/a taken port: -EADDRINUSE naming the address");
	}

	pk_metrics__stop(m);
	fetch(&r, "GET", "127.0.0.1", port, "/healthz");
	CHECK("metrics/stopped", r.rc == CURLE_COULDNT_CONNECT, "rc %d status %ld", r.rc, r.status);
	pk_metrics__stop(NULL);
	PASS("metrics/stop closes the socket; stop(NULL) is a no-op");
}

static void test_bad_addresses(void)
{
	static const char *const bad[] = {
		"", "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:12a", "127.0.0.1: 80", "::1:9464", "[::1]9464", "[::1", "[::1]:",
		"localhost:9464", "[127.0.0.1]:1", "1.2.3:80", "[zz::1]:80",
		"127.0.0.1:99999999999999999999",
	};

	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		struct pk_error err = { 0 };
		struct pk_metrics *m = (void *)1;
		int rc = pk_metrics__start(bad[i], NULL, &m, &err);

		if (rc != -EINVAL || m || !strstr(err.msg, "invalid metrics address") ||
		    !strstr(err.msg, bad[i])) {
			FAIL("metrics/bad_addresses", "'%s': rc %d: %s", bad[i], rc, err.msg);
			pk_metrics__stop(rc ? NULL : m);
			return;
		}
	}
	{
		struct pk_error err = { 0 };
		struct pk_metrics *m = NULL;
		int rc = pk_metrics__start(NULL, NULL, &m, &err);

		CHECK("metrics/null_address", rc == -EINVAL && !m, "rc %d", rc);
	}
	{
		/* an address this host does not have */
		struct pk_error err = { 0 };
		struct pk_metrics *m = NULL;
		int rc = pk_metrics__start("192.0.2.1:9464", NULL, &m, &err);

		CHECK("metrics/not_local", rc == -EADDRNOTAVAIL && !m && strstr(err.msg, "192.0.2.1:9464"),
		      "rc %d: %s", rc, err.msg);
	}
	PASS("metrics/bad addresses: -EINVAL naming them; a foreign address: -EADDRNOTAVAIL");
}

static void test_ipv6_and_any(void)
{
	struct pk_error err = { 0 };
	struct pk_metrics *m = NULL;
	static struct reply r;
	int rc;

	rc = pk_metrics__start("[::1]:0", NULL, &m, &err);
	if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
		SKIP("metrics/ipv6", "no IPv6 loopback here");
	} else {
		CHECK("metrics/ipv6_start", rc == 0, "rc %d: %s", rc, err.msg);
		CHECK("metrics/ipv6_addr", !strncmp(pk_metrics__addr(m), "[::1]:", 6), "%s",
		      pk_metrics__addr(m));
		fetch(&r, "GET", "[::1]", pk_metrics__port(m), "/healthz");
		CHECK("metrics/ipv6_fetch", r.status == 200, "rc %d status %ld", r.rc, r.status);
		pk_metrics__stop(m);
		PASS("metrics/[::1]:0 serves on the IPv6 loopback");
	}

	m = NULL;
	rc = pk_metrics__start(":0", NULL, &m, &err);
	CHECK("metrics/any_start", rc == 0, "rc %d: %s", rc, err.msg);
	fetch(&r, "GET", "127.0.0.1", pk_metrics__port(m), "/healthz");
	CHECK("metrics/any_v4", r.status == 200, "rc %d status %ld (%s)", r.rc, r.status, pk_metrics__addr(m));
	pk_metrics__stop(m);
	PASS("metrics/:0 serves on every address, IPv4 included");
}

/* the chain is replaced while scrapes run: every scrape shows one whole chain */
static volatile int hammer_stop;
static void *hammer(void *arg)
{
	struct pk_metrics *m = arg;
	uint64_t ev[PK_EV_MAX] = { 0 };

	for (uint64_t i = 0; !hammer_stop; i++) {
		pk_metrics__set_chain(m, i & 1 ? &chain_a : &chain_b);
		for (int k = 0; k < PK_EV_MAX; k++)
			ev[k] = i;
		pk_metrics__set_events(m, ev, PK_EV_MAX);
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct pk_error err = { 0 };
	struct pk_metrics *m = NULL;
	pthread_t t;
	int rc, a = 0, b = 0;

	rc = pk_metrics__start("127.0.0.1:0", NULL, &m, &err);
	CHECK("metrics/concurrent_start", rc == 0, "rc %d: %s", rc, err.msg);
	pthread_create(&t, NULL, hammer, m);
	for (int i = 0; i < 400; i++) {
		size_t len;
		char *text = pk_metrics__format(m, &len);
		bool is_a, is_b;

		if (!text) {
			FAIL("metrics/concurrent", "format: %s", strerror(errno));
			break;
		}
		is_a = has_line(text, "probekit_candidate_info{candidate=\"embedded-btf\",index=\"1\"} 1") &&
		       has_line(text, "probekit_candidate_fallback 1") && strstr(text, "index=\"2\"");
		is_b = has_line(text, "probekit_candidate_info{candidate=\"embedded-btf\",index=\"0\"} 1") &&
		       has_line(text, "probekit_candidate_fallback 0") && !strstr(text, "index=\"2\"");
		a += is_a;
		b += is_b;
		if (!is_a && !is_b && strstr(text, "probekit_candidate_info{")) {
			FAIL("metrics/concurrent", "a mixed chain:\n%s", text);
			free(text);
			break;
		}
		free(text);
	}
	hammer_stop = 1;
	pthread_join(t, NULL);
	pk_metrics__stop(m);
	if (!unit_failed)
		printf("PASS metrics/chain replaced during 400 scrapes: always one whole chain (a %d, b %d)\n", a, b);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	make_chains();
	test_bad_addresses();
	test_endpoints();
	test_ipv6_and_any();
	test_concurrent();
	curl_global_cleanup();
	return UNIT_EXIT();
}
