/* `probekit run` and `probekit selftest`: flags, the library's candidate walk
 * (pk_loader__run), then stream events (run) or report (selftest). The one job
 * done here is the output: every event written, or counted as not written. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/buffer.h"
#include "cli.h"
#include "agent/event.h"
#include "agent/features.h"
#include "agent/host.h"
#include "common/json.h"
#include "agent/loader.h"
#include "agent/metrics.h"
#include "common/pk.h"
#include "agent/selfcheck.h"
#include "agent/status.h"
#include "cli/repo_opts.h"
#include "fetch/fetcher.h"

/* Events go out through our own buffer, not stdio: a failed write must say how
 * many events it lost, and each event is one line, so the lines still in the
 * buffer are the events not written. */
#define OUT_BUF_BYTES (1 << 16)
struct out {
	int fd;				/* -1: no event output (selftest) */
	bool close_fd;
	size_t header_len;		/* the text header line still in the buffer: not an event */
	size_t len;
	char buf[OUT_BUF_BYTES];
};

struct run {
	bool selftest;
	bool json;			/* selftest --json */
	bool text;			/* --format text */
	const char *output_path;
	const char *status_path;
	const char *probe_path, *probe_origin;
	const char *btf_path, *btf_origin;
	const char *btf_archive_path;
	char *btf_archive;		/* --btf-archive contents */
	size_t btf_archive_len;
	uint32_t kinds;
	uint32_t pid_filter;
	const char *comm_filter;
	int buffer_mode;		/* 0 auto, 1 ring, 2 perf */
	double selfcheck_timeout_s;
	double duration_s;
	int flush_ms;
	uint32_t ringbuf_bytes;
	const char *metrics_addr;	/* --metrics / PROBEKIT_METRICS (run only) */
	struct pk_metrics *metrics;	/* NULL: off */

	struct out out;
	struct pk_json j;
	int64_t ts_offset;
	struct pk_selfcheck sc;
	struct pk_status st;
	struct pk_kernel_objects kobjs;
	struct pk_host host;
	struct pk_features feat;
	struct pk_chain chain;
	uint64_t invalid;
	struct pk_cli_repo repo;	/* --repo and the other repository options */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t wall_minus_mono_ns(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
}

static bool user_filter_pass(const struct run *r, const struct pk_hdr *h)
{
	if (r->pid_filter && h->pid != r->pid_filter)
		return false;
	if (r->comm_filter && strncmp(h->comm, r->comm_filter, PK_COMM_LEN))
		return false;
	return true;
}

/* Write what is buffered. On failure the buffer is dropped and each of its lines
 * (one per event) counted in write_errors, with the first failure's errno: the
 * agent keeps running (the next write may succeed: space freed, a reader back),
 * and says at exit that events were lost. */
static void out_flush(struct run *r)
{
	struct out *o = &r->out;
	size_t done = 0;

	while (done < o->len) {
		ssize_t w = write(o->fd, o->buf + done, o->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? -errno : -EIO;
			uint64_t lost = 0;

			for (size_t i = done; i < o->len; i++)
				lost += o->buf[i] == '\n';
			if (done < o->header_len && lost)
				lost--;
			r->st.write_errors += lost;
			pk_error__set_once(&r->st.write_err, err, "%s", strerror(-err));
			break;
		}
		done += w;
	}
	o->len = 0;
	o->header_len = 0;
}

static void out_put(struct run *r, const char *data, size_t len)
{
	struct out *o = &r->out;

	if (o->fd < 0)
		return;
	/* whole events per write where they fit: a failure then loses whole lines */
	if (len > sizeof(o->buf) - o->len)
		out_flush(r);
	while (len) {
		size_t n = len < sizeof(o->buf) - o->len ? len : sizeof(o->buf) - o->len;

		memcpy(o->buf + o->len, data, n);
		o->len += n;
		data += n;
		len -= n;
		if (o->len == sizeof(o->buf))
			out_flush(r);
	}
}

static void emit(struct run *r, const void *data, size_t len)
{
	if (r->out.fd < 0)
		return;
	if (r->text) {
		char line[1024];
		int n = pk_event__to_text(data, len, r->ts_offset, line, sizeof(line) - 1);

		if (n > (int)sizeof(line) - 2)
			n = sizeof(line) - 2;
		line[n++] = '\n';
		out_put(r, line, n);
		return;
	}
	pk_json__reset(&r->j);
	pk_event__to_json(data, len, r->ts_offset, &r->j);
	pk_json__raw(&r->j, "\n", 1);
	if (!r->j.err) {
		out_put(r, r->j.buf, r->j.len);
	} else {
		r->st.write_errors++;
		pk_error__set_once(&r->st.write_err, r->j.err, "%s", strerror(-r->j.err));
	}
}

static void on_event(void *ctx, const void *data, size_t len)
{
	struct run *r = ctx;
	struct pk_open_event tmp;
	const struct pk_hdr *h;
	int kind;

	data = pk_event__full(data, &len, &tmp);
	h = data;
	kind = pk_event__kind(data, len);

	if (kind < 0) {
		r->invalid++;
		return;
	}
	if (r->sc.active) {
		if (pk_selfcheck__event(&r->sc, data, len))
			return;
	} else if (pk_selfcheck__owns(&r->sc, h->pid)) {
		return;	/* late events of the canary: the agent's own activity */
	}
	/* the kernel filter is off while the canary runs, and records queued
	 * before it was set may still be in the buffer */
	if ((r->pid_filter || r->comm_filter) && !user_filter_pass(r, h))
		return;
	if (!(r->kinds & PK_KIND_BIT(kind)))
		return;
	r->st.events[kind]++;
	emit(r, data, len);
}

static void usage(FILE *f, bool selftest)
{
	if (selftest)
		fprintf(f, "usage: probekit selftest [--json] [OPTIONS]\n\n"
			"Load the probe through the candidate chain, run the canary self-check and report.\n"
			"Exit 0 when a candidate passed, 1 when none did.\n\n");
	else
		fprintf(f, "usage: probekit run [OPTIONS]\n\n"
			"Load the first working probe candidate, check it with a canary, then stream\n"
			"events until SIGINT/SIGTERM (or --duration).\n\n");
	fprintf(f,
		"options:\n"
		"  --probe FILE          try this BPF object first (env PROBEKIT_BPF_FILE)\n"
		"  --btf FILE            kernel BTF for CO-RE relocations (env PROBEKIT_BTF_FILE)\n"
		"  --btf-archive FILE    reduced-BTF archive to use instead of the embedded one\n"
		"                        (env PROBEKIT_BTF_ARCHIVE; made by 'probekit btf pack')\n"
		"  --events LIST         kinds: exec,fork,exit,connect,accept,close,open or all\n"
		"                        (default exec,fork,exit,connect,accept,close)\n"
		"  --pid PID             only this process (filtered in the kernel)\n"
		"  --comm NAME           only tasks with this comm (filtered in the kernel)\n"
		"  --buffer auto|ring|perf  event buffer (default auto: ring when the kernel has it)\n"
		"  --buffer-size BYTES   ring buffer size, power of two (default %u)\n"
		"  --selfcheck-timeout S seconds the canary's events may take (default %g)\n"
		"  --status FILE         write status JSON here (atomically, kept up to date)\n",
		PK_RINGBUF_BYTES_DEFAULT, PK_SELFCHECK_TIMEOUT_S);
	if (selftest)
		fprintf(f, "  --json                print the status JSON on stdout\n");
	else
		fprintf(f,
			"  --format json|text    event output format (default json: one object per line)\n"
			"  --output FILE         write events here instead of stdout\n"
			"  --duration S          stop after S seconds\n"
			"  --flush-ms MS         drain the buffer at least this often (default 10)\n"
			"  --metrics ADDR        serve Prometheus /metrics, /healthz and /ready on ADDR:\n"
			"                        127.0.0.1:9464, [::1]:9464, or :9464 for every address\n"
			"                        (env PROBEKIT_METRICS; off by default)\n");
	fputs(pk_cli_repo_help, f);
	fprintf(f, "  -v, --verbose         libbpf and loader diagnostics on stderr\n"
		"  -h, --help            this help\n\n"
		"exit codes: 0 ok, 1 no candidate worked / self-check failed, 2 usage, 3 error%s\n",
		selftest ? " (I/O, also when\n            the report could not be written to stdout)" :
		",\n            4 events were lost because writing them failed");
}

static int parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || *end || end == s || *v < 0 ? -EINVAL : 0;
}

static int parse_args(struct run *r, int argc, char **argv)
{
	const char *cmd = r->selftest ? "selftest" : "run";
	static const struct option opts[] = {
		{ "probe", required_argument, NULL, 'P' },
		{ "btf", required_argument, NULL, 'B' },
		{ "btf-archive", required_argument, NULL, 'A' },
		{ "events", required_argument, NULL, 'e' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "buffer-size", required_argument, NULL, 'z' },
		{ "selfcheck-timeout", required_argument, NULL, 't' },
		{ "status", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "flush-ms", required_argument, NULL, 'F' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		PK_CLI_REPO_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char bad[64];
	double d;
	int c;

	pk_cli_repo__init(&r->repo);
	r->kinds = PK_KINDS_DEFAULT;
	r->selfcheck_timeout_s = PK_SELFCHECK_TIMEOUT_S;
	r->flush_ms = 10;
	r->probe_path = getenv("PROBEKIT_BPF_FILE");
	r->probe_origin = "PROBEKIT_BPF_FILE";
	r->btf_path = getenv("PROBEKIT_BTF_FILE");
	r->btf_origin = "PROBEKIT_BTF_FILE";
	if (r->probe_path && !*r->probe_path)
		r->probe_path = NULL;
	if (r->btf_path && !*r->btf_path)
		r->btf_path = NULL;
	r->btf_archive_path = getenv("PROBEKIT_BTF_ARCHIVE");
	if (r->btf_archive_path && !*r->btf_archive_path)
		r->btf_archive_path = NULL;
	r->metrics_addr = r->selftest ? NULL : getenv("PROBEKIT_METRICS");
	if (r->metrics_addr && !*r->metrics_addr)
		r->metrics_addr = NULL;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'P': r->probe_path = optarg; r->probe_origin = "--probe"; break;
		case 'B': r->btf_path = optarg; r->btf_origin = "--btf"; break;
		case 'A': r->btf_archive_path = optarg; break;
		case 'e':
			if (pk_kinds__parse(optarg, &r->kinds, bad, sizeof(bad)))
				return pk_usage_err(cmd, "unknown event kind '%s'", bad);
			break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v <= 0 || v > 0x7fffffff)
				return pk_usage_err(cmd, "invalid --pid '%s'", optarg);
			r->pid_filter = v;
			break;
		}
		case 'c':
			if (!*optarg || strlen(optarg) >= PK_COMM_LEN)
				return pk_usage_err(cmd, "--comm '%s' must be 1 to %d characters", optarg,
						    PK_COMM_LEN - 1);
			r->comm_filter = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "auto")) r->buffer_mode = 0;
			else if (!strcmp(optarg, "ring")) r->buffer_mode = 1;
			else if (!strcmp(optarg, "perf")) r->buffer_mode = 2;
			else return pk_usage_err(cmd, "invalid --buffer '%s' (auto, ring or perf)", optarg);
			break;
		case 'z': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);

			if (*end || v < 4096 || v > (1ul << 30) || (v & (v - 1)))
				return pk_usage_err(cmd, "invalid --buffer-size '%s' (a power of two, 4096 to 1073741824)", optarg);
			r->ringbuf_bytes = v;
			break;
		}
		case 't':
			if (parse_double(optarg, &d) || d <= 0)
				return pk_usage_err(cmd, "invalid --selfcheck-timeout '%s'", optarg);
			r->selfcheck_timeout_s = d;
			break;
		case 's': r->status_path = optarg; break;
		case 'j':
			if (!r->selftest)
				return pk_usage_err(cmd, "unknown option '--json'");
			r->json = true;
			break;
		case 'f':
			if (r->selftest)
				return pk_usage_err(cmd, "unknown option '--format'");
			if (!strcmp(optarg, "text")) r->text = true;
			else if (!strcmp(optarg, "json")) r->text = false;
			else return pk_usage_err(cmd, "invalid --format '%s' (json or text)", optarg);
			break;
		case 'o':
			if (r->selftest)
				return pk_usage_err(cmd, "unknown option '--output'");
			r->output_path = optarg;
			break;
		case 'd':
			if (r->selftest || parse_double(optarg, &d))
				return pk_usage_err(cmd, "invalid --duration '%s'", optarg);
			r->duration_s = d;
			break;
		case 'F': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (r->selftest || *end || v < 1 || v > 10000)
				return pk_usage_err(cmd, "invalid --flush-ms '%s'", optarg);
			r->flush_ms = v;
			break;
		}
		case 'M':
			if (r->selftest)
				return pk_usage_err(cmd, "unknown option '--metrics'");
			r->metrics_addr = optarg;
			break;
		case 'v': pk_cli__set_verbose(true); break;
		case 'h': usage(stdout, r->selftest); exit(PK_EXIT_OK);
		case ':': return pk_usage_err(cmd, "option '%s' needs a value", argv[optind - 1]);
		default: {
			int taken = c == '?' ? 0 : pk_cli_repo__opt(&r->repo, c, optarg, cmd);

			if (taken < 0 || taken > 1)
				return taken;
			if (!taken)
				return pk_usage_err(cmd, "unknown option '%s'", argv[optind - 1]);
		}
		}
	}
	if (optind < argc)
		return pk_usage_err(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Drops of the events this run reports. While the canary runs the kernel
 * filter is off, so with --pid/--comm the kernel counted drops of other tasks'
 * events too; the probe counts drops of filtered events apart, and only those
 * are this run's. Without a filter every drop was an event the run wanted. */
static void read_drops(struct run *r, struct pk_probe *probe)
{
	if (r->pid_filter || r->comm_filter)
		pk_probe__filtered_drops(probe, r->st.drops, PK_EV_MAX);
	else
		pk_probe__drops(probe, r->st.drops, PK_EV_MAX);
}

static void write_status(struct run *r)
{
	int err;

	if (!r->status_path)
		return;
	err = pk_status__write(&r->st, r->status_path);
	if (err)
		pk_err("cannot write status '%s': %s", r->status_path, strerror(-err));
}

static void print_summary(struct run *r, FILE *f)
{
	fprintf(f, "probekit: stopped;");
	for (int k = 1; k < PK_EV_MAX; k++)
		if (r->kinds & PK_KIND_BIT(k))
			fprintf(f, " %s %llu (drops %llu)", pk_kind__str(k),
				(unsigned long long)r->st.events[k], (unsigned long long)r->st.drops[k]);
	if (r->st.lost)
		fprintf(f, "; perf lost %llu", (unsigned long long)r->st.lost);
	if (r->invalid)
		fprintf(f, "; invalid records %llu", (unsigned long long)r->invalid);
	if (r->st.write_errors)
		fprintf(f, "; not written %llu (%s)", (unsigned long long)r->st.write_errors,
			pk_error__str(&r->st.write_err));
	fputc('\n', f);
}

static int open_output(struct run *r)
{
	struct out *o = &r->out;

	o->fd = -1;
	if (r->selftest)
		return 0;
	if (r->output_path) {
		o->fd = open(r->output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (o->fd < 0) {
			pk_err("cannot open '%s': %s", r->output_path, strerror(errno));
			return PK_EXIT_ERROR;
		}
		o->close_fd = true;
	} else {
		o->fd = STDOUT_FILENO;
	}
	if (r->text) {	/* before the self-check: other tasks' events may come then */
		const char *h = pk_event__text_header();

		out_put(r, h, strlen(h));
		out_put(r, "\n", 1);
		o->header_len = o->len;
	}
	return 0;
}

static void close_output(struct run *r)
{
	struct out *o = &r->out;

	if (o->fd < 0)
		return;
	out_flush(r);
	if (o->close_fd && close(o->fd)) {
		/* NFS and the like report a failed write at close: nothing is left to count */
		pk_error__set_once(&r->st.write_err, -errno, "%s", strerror(errno));
	}
	o->fd = -1;
}

/* what the walk left for the status: did a self-check run, and why it failed */
static void selfcheck_status(struct run *r)
{
	const struct pk_candidate *last = NULL;

	for (int i = 0; i < r->chain.n; i++) {
		const struct pk_candidate *c = &r->chain.c[i];

		if (c->state == PK_ATTEMPT_OK)
			r->st.selfcheck_ran = true;
		if (c->state == PK_ATTEMPT_FAILED && !strcmp(c->stage, "self-check"))
			last = c;
	}
	r->st.selfcheck_runs = r->sc.runs;
	if (last) {
		r->st.selfcheck_ran = true;
		r->st.selfcheck_err = last->err;
	}
}

/* selftest's report on stdout, the one thing it produces (the verify guest's
 * verdict is this JSON): a report that did not reach stdout is an error, whatever
 * the verdict was. Returns rc, or PK_EXIT_ERROR when the report was lost. */
static int print_report(struct run *r, int rc)
{
	int err = 0;

	if (r->json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_status__to_json(&r->st, &j);
		if (j.err)
			err = j.err;
		else
			printf("%s\n", j.buf);
		pk_json__free(&j);
		if (err) {
			pk_err("cannot encode the report: %s", strerror(-err));
			return PK_EXIT_ERROR;
		}
	} else if (rc == PK_EXIT_OK) {
		printf("selftest: passed with %s in %.1f ms\n", r->chain.c[r->chain.winner].name,
		       r->st.selfcheck_ms);
	} else if (rc == PK_EXIT_FAIL) {
		printf("selftest: FAILED\n");
	}
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		pk_err("cannot write the report to stdout: %s", strerror(errno ? errno : EIO));
		return PK_EXIT_ERROR;
	}
	return rc;
}

/* every failed download and verification of the walk, by class, for --metrics
 * (the outcomes of src/fetch/fetcher.c: "not-found" becomes not_found) */
static void metrics_downloads(struct run *r)
{
	for (int i = 0; r->metrics && i < r->chain.n; i++) {
		const struct pk_candidate *c = &r->chain.c[i];

		for (int k = 0; c->has_source && k < c->source.nr_attempts; k++) {
			const char *o = c->source.attempts[k].outcome;
			char cls[16];

			if (!strcmp(o, "ok") || !strcmp(o, "cached") || !strcmp(o, "not-listed") ||
			    !strcmp(o, "offline"))
				continue;
			snprintf(cls, sizeof(cls), "%s", !strcmp(o, "reset") ? "network" : o);
			for (char *p = cls; *p; p++)
				if (*p == '-')
					*p = '_';
			if (pk_fetch_outcome__is_verification(o))
				pk_metrics__add_verify_failure(r->metrics, cls);
			else
				pk_metrics__add_download_failure(r->metrics, cls);
		}
	}
}

static int run_main(struct run *r, int argc, char **argv)
{
	double t0 = pk_now_ms(), next_status;
	struct pk_loaded won = { 0 };
	struct pk_probe *probe;
	struct sigaction sa = { .sa_handler = on_signal };
	int err, rc = PK_EXIT_OK;

	r->out.fd = -1;
	err = parse_args(r, argc, argv);
	if (err)
		return err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed output pipe is a write error we count, not a silent death */
	signal(SIGPIPE, SIG_IGN);

	r->st.version = PK_VERSION;
	r->st.pid = getpid();
	r->st.start_time = time(NULL);
	r->st.state = "starting";
	r->st.kinds = r->kinds;
	r->st.host = &r->host;
	r->st.chain = &r->chain;
	r->ts_offset = wall_minus_mono_ns();
	pk_json__init(&r->j, false);

	/* fail early on paths we cannot write */
	if (open_output(r)) {
		pk_json__free(&r->j);
		return PK_EXIT_ERROR;
	}
	if (r->status_path) {
		err = pk_status__write(&r->st, r->status_path);
		if (err) {
			pk_err("cannot write status '%s': %s", r->status_path, strerror(-err));
			rc = PK_EXIT_ERROR;
			goto out;
		}
	}

	/* before the walk: /healthz answers and /ready says 503 while it runs */
	if (r->metrics_addr) {
		PK_METRICS_OPTS(mopts, .version = PK_VERSION, .start_time = r->st.start_time, .kinds = r->kinds);
		struct pk_error merr = { 0 };

		err = pk_metrics__start(r->metrics_addr, &mopts, &r->metrics, &merr);
		if (err) {
			rc = err == -EINVAL ? pk_usage_err("run", "%s", merr.msg) : PK_EXIT_ERROR;
			if (err != -EINVAL)
				pk_err("%s", pk_error__str(&merr));
			goto out;
		}
	}

	{
		/* an agent in a container reads the host's os-release under HOST_ROOT */
		PK_HOST_OPTS(hopts, .os_root = r->repo.host_root);

		err = pk_host__detect(&r->host, &hopts);
	}
	if (err) {
		pk_err("cannot detect the host: %s", strerror(-err));
		rc = PK_EXIT_ERROR;
		goto out;
	}
	pk_features__probe(&r->feat, &r->host);
	/* the agent: downloads in a child (libcurl and a whole index stay out of it),
	 * and a key that cannot be read fails the repository candidates only */
	r->repo.agent = true;
	r->repo.stop = &stop_signal;
	err = pk_cli_repo__setup(&r->repo, &r->host, r->selftest ? "selftest" : "run");
	if (err) {
		rc = err;
		goto out;
	}
	if (r->btf_archive_path) {
		err = pk_file__read(r->btf_archive_path, &r->btf_archive, &r->btf_archive_len, 1u << 30);
		if (err) {
			pk_err("cannot open '%s': %s", r->btf_archive_path, strerror(-err));
			rc = PK_EXIT_ERROR;
			goto out;
		}
	}
	{
		PK_CHAIN_OPTS(copts, .probe_path = r->probe_path, .probe_origin = r->probe_origin,
			      .btf_path = r->btf_path, .btf_origin = r->btf_origin,
			      .btf_archive_data = r->btf_archive, .btf_archive_len = r->btf_archive_len,
			      .extend = pk_repo_source__extend, .extend_ctx = &r->repo.source,
			      .only = r->repo.candidates);
		PK_PROBE_OPTS(popts, .kinds = r->kinds, .force_perf = r->buffer_mode == 2,
			      .force_ringbuf = r->buffer_mode == 1, .ringbuf_ok = r->feat.ringbuf,
			      .ringbuf_bytes = r->ringbuf_bytes, .lockdown = r->host.lockdown);
		PK_SELFCHECK_OPTS(scopts, .kinds = r->kinds, .timeout_s = r->selfcheck_timeout_s,
				  .stop = &stop_signal);
		PK_LOADER_OPTS(lopts, .probe = &popts, .on_event = on_event, .event_ctx = r,
			       .selfcheck = &r->sc, .selfcheck_opts = &scopts, .stop = &stop_signal);

		err = pk_chain__build(&r->chain, &r->host, &r->feat, &copts);
		if (!err)
			err = pk_loader__run(&r->chain, &lopts, &won);
		if (err && err != -ENOENT && err != -EINTR) {
			pk_err("cannot walk the candidate chain: %s", strerror(-err));
			rc = PK_EXIT_ERROR;
			goto out;
		}
	}
	selfcheck_status(r);
	pk_metrics__set_chain(r->metrics, &r->chain);
	metrics_downloads(r);

	if (r->chain.winner < 0) {
		r->st.state = "failed";
		if (!r->st.selfcheck_err.msg[0])
			pk_error__set(&r->st.selfcheck_err, -ENOENT, "no candidate loaded");
		pk_status__print_startup(&r->st, stderr);
		pk_err("no probe candidate worked (%d in the chain); see the reasons above", r->chain.n);
		rc = PK_EXIT_FAIL;
		goto out;
	}
	probe = won.probe;
	r->st.buffer = pk_probe__ringbuf(probe) ? "ringbuf" : "perf";
	err = pk_probe__kernel_objects(probe, &r->kobjs);
	if (err)
		pk_debug("run: cannot list the probe's kernel objects: %s\n", strerror(-err));
	else
		r->st.kobjs = &r->kobjs;
	r->st.selfcheck_passed = true;
	pk_error__clear(&r->st.selfcheck_err);
	r->st.selfcheck_ms = r->sc.latency_ms;
	r->st.startup_ms = pk_now_ms() - t0;
	r->st.state = r->selftest ? "stopped" : "running";

	err = pk_probe__set_filter(probe, r->pid_filter, r->comm_filter);
	if (err) {
		pk_err("cannot set the event filter: %s", strerror(-err));
		rc = PK_EXIT_ERROR;
		goto out;
	}
	pk_status__print_startup(&r->st, stderr);	/* stderr: --json output stays clean */
	if (r->metrics)
		fprintf(stderr, "  metrics:    http://%s/metrics (and /healthz, /ready)\n",
			pk_metrics__addr(r->metrics));
	write_status(r);
	if (r->selftest)
		goto out;
	pk_metrics__set_ready(r->metrics, true);

	next_status = pk_now_ms() + 2000;
	while (!stop_signal) {
		err = pk_buffer__poll(won.buffer, r->flush_ms);
		if (err < 0 && err != -EINTR) {
			pk_err("reading events failed: %s", strerror(-err));
			rc = PK_EXIT_ERROR;
			break;
		}
		out_flush(r);
		pk_metrics__set_events(r->metrics, r->st.events, PK_EV_MAX);
		if (r->duration_s && pk_now_ms() - t0 >= r->duration_s * 1000)
			break;
		if ((r->status_path || r->metrics) && pk_now_ms() >= next_status) {
			read_drops(r, probe);
			r->st.lost = pk_buffer__lost(won.buffer);
			pk_metrics__set_drops(r->metrics, r->st.drops, PK_EV_MAX);
			pk_metrics__set_lost(r->metrics, r->st.lost);
			write_status(r);
			next_status = pk_now_ms() + 2000;
		}
	}
	/* detach, then drain what is already in the buffer */
	pk_metrics__set_ready(r->metrics, false);
	pk_probe__detach(probe);
	while (pk_buffer__poll(won.buffer, 0) > 0)
		;
	close_output(r);
	read_drops(r, probe);
	r->st.lost = pk_buffer__lost(won.buffer);
	r->st.state = "stopped";
	write_status(r);
	print_summary(r, stderr);
	if (r->st.write_errors || r->st.write_err.code) {
		pk_err("writing to '%s' failed: %s (%llu events not written)",
		       r->output_path ? r->output_path : "stdout", pk_error__str(&r->st.write_err),
		       (unsigned long long)r->st.write_errors);
		if (rc == PK_EXIT_OK)
			rc = PK_EXIT_OUTPUT;
	}

out:
	pk_metrics__stop(r->metrics);
	pk_loaded__destroy(&won);
	if (r->selftest)
		rc = print_report(r, rc);
	if (rc && r->status_path && strcmp(r->st.state, "starting"))
		write_status(r);
	close_output(r);
	pk_json__free(&r->j);
	pk_chain__free(&r->chain);
	pk_cli_repo__free(&r->repo);
	free(r->btf_archive);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	static struct run r;

	memset(&r, 0, sizeof(r));
	return run_main(&r, argc, argv);
}

int cmd_selftest(int argc, char **argv)
{
	static struct run r;

	memset(&r, 0, sizeof(r));
	r.selftest = true;
	return run_main(&r, argc, argv);
}
