/* `probekit run` and `probekit selftest`: walk the candidate chain until one
 * candidate loads, attaches and passes the self-check; then stream events
 * (run) or report (selftest). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <bpf/libbpf.h>

#include "agent/buffer.h"
#include "cli.h"
#include "agent/event.h"
#include "agent/features.h"
#include "agent/host.h"
#include "common/json.h"
#include "agent/loader.h"
#include "common/pk.h"
#include "agent/selfcheck.h"
#include "agent/status.h"

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

	FILE *out;
	struct pk_json j;
	int64_t ts_offset;
	struct pk_selfcheck sc;
	bool sc_active;
	struct pk_status st;
	struct pk_kernel_objects kobjs;
	uint64_t drops_base[PK_EV_MAX];	/* kernel drop counters when the filter was set */
	struct pk_host host;
	struct pk_features feat;
	struct pk_chain chain;
	uint64_t invalid;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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

static void emit(struct run *r, const void *data, size_t len)
{
	if (!r->out)
		return;
	if (r->text) {
		char line[1024];
		int n = pk_event__to_text(data, len, r->ts_offset, line, sizeof(line) - 1);

		if (n > (int)sizeof(line) - 2)
			n = sizeof(line) - 2;
		line[n++] = '\n';
		fwrite(line, 1, n, r->out);
		return;
	}
	pk_json__reset(&r->j);
	pk_event__to_json(data, len, r->ts_offset, &r->j);
	pk_json__raw(&r->j, "\n", 1);
	if (!r->j.err)
		fwrite(r->j.buf, 1, r->j.len, r->out);
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
	if (r->sc_active) {
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
		"  --buffer-size BYTES   ring buffer size, power of two (default 8388608)\n"
		"  --selfcheck-timeout S seconds the canary's events may take (default 5)\n"
		"  --status FILE         write status JSON here (atomically, kept up to date)\n");
	if (selftest)
		fprintf(f, "  --json                print the status JSON on stdout\n");
	else
		fprintf(f,
			"  --format json|text    event output format (default json: one object per line)\n"
			"  --output FILE         write events here instead of stdout\n"
			"  --duration S          stop after S seconds\n"
			"  --flush-ms MS         drain the buffer at least this often (default 10)\n");
	fprintf(f, "  -v, --verbose         libbpf and loader diagnostics on stderr\n"
		"  -h, --help            this help\n\n"
		"exit codes: 0 ok, 1 no candidate worked / self-check failed, 2 usage, 3 error\n");
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char bad[64];
	double d;
	int c;

	r->kinds = PK_KINDS_DEFAULT;
	r->selfcheck_timeout_s = 5;
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
		case 'v': pk_verbose = true; break;
		case 'h': usage(stdout, r->selftest); exit(PK_EXIT_OK);
		case ':': return pk_usage_err(cmd, "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pk_usage_err(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Drops of the events this run reports. While the canary runs the kernel
 * filter is off, so with --pid/--comm the kernel counted drops of other tasks'
 * events too; those are left out by counting from when the filter was set.
 * Without a filter every drop was an event the run wanted, and all count. */
static void read_drops(struct run *r, struct pk_probe *probe)
{
	pk_probe__drops(probe, r->st.drops, PK_EV_MAX);
	for (int k = 0; k < PK_EV_MAX; k++)
		r->st.drops[k] = r->st.drops[k] > r->drops_base[k] ? r->st.drops[k] - r->drops_base[k] : 0;
}

/* Were events of a kind the self-check still misses dropped since base?
 * Updates base to the current counts. */
static bool missing_dropped(struct run *r, struct pk_probe *probe, uint64_t *base)
{
	uint32_t missing = r->sc.kinds & ~r->sc.seen;
	uint64_t now[PK_EV_MAX] = { 0 };
	bool lost = false;

	if (pk_probe__drops(probe, now, PK_EV_MAX))
		return false;
	for (int k = 0; k < PK_EV_MAX; k++)
		if ((missing & PK_KIND_BIT(k)) && now[k] > base[k])
			lost = true;
	memcpy(base, now, sizeof(now));
	return lost;
}

/* Run the canary against a loaded candidate; events meanwhile go through on_event.
 * When events of a kind still missing were dropped (a full buffer on a busy host),
 * the canary runs again, up to PK_SELFCHECK_MAX_RUNS times within the timeout. */
static bool run_selfcheck(struct run *r, struct pk_probe *probe, struct pk_buffer *b,
			  struct pk_candidate *c)
{
	uint64_t base[PK_EV_MAX] = { 0 };
	double deadline;
	char missing[128], runs[96] = "";
	int err;

	pk_probe__drops(probe, base, PK_EV_MAX);
	err = pk_selfcheck__start(&r->sc, r->kinds, NULL);
	if (err) {
		snprintf(c->why, sizeof(c->why), "cannot start the canary: %s", strerror(-err));
		return false;
	}
	r->sc_active = true;
	r->st.selfcheck_ran = true;
	deadline = mono_ms() + r->selfcheck_timeout_s * 1000;
	while (!pk_selfcheck__passed(&r->sc) && mono_ms() < deadline && !stop_signal) {
		err = pk_buffer__poll(b, 5);
		if (err < 0 && err != -EINTR)
			break;
		/* the run is over and its events had 100 ms to arrive */
		if (r->sc.runs < PK_SELFCHECK_MAX_RUNS && pk_selfcheck__canary_done(&r->sc) &&
		    mono_ms() - r->sc.done_ms > 100 && missing_dropped(r, probe, base))
			pk_selfcheck__rerun(&r->sc);
	}
	r->sc_active = false;
	pk_selfcheck__stop(&r->sc);
	r->st.selfcheck_runs = r->sc.runs;
	if (pk_selfcheck__passed(&r->sc))
		return true;
	pk_selfcheck__missing(&r->sc, missing, sizeof(missing));
	if (r->sc.runs > 1)
		snprintf(runs, sizeof(runs), " (%d canary runs; events were dropped: buffer too small?)",
			 r->sc.runs);
	if (stop_signal)
		snprintf(c->why, sizeof(c->why), "interrupted by signal %d", (int)stop_signal);
	else if (err < 0 && err != -EINTR)
		snprintf(c->why, sizeof(c->why), "reading events failed: %s", strerror(-err));
	else if (r->sc.exit_status > 0 && WIFEXITED(r->sc.exit_status) && WEXITSTATUS(r->sc.exit_status))
		snprintf(c->why, sizeof(c->why), "the canary failed (exit %d); no %s event within %.1f s%s",
			 WEXITSTATUS(r->sc.exit_status), missing, r->selfcheck_timeout_s, runs);
	else
		snprintf(c->why, sizeof(c->why), "no %s event from the canary (pid %d) within %.1f s%s",
			 missing, (int)r->sc.canary, r->selfcheck_timeout_s, runs);
	return false;
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
	fputc('\n', f);
}

static int run_main(struct run *r, int argc, char **argv)
{
	double t0 = mono_ms(), next_status;
	struct pk_probe *probe = NULL;
	struct pk_buffer *buf = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int err, rc = PK_EXIT_OK;

	err = parse_args(r, argc, argv);
	if (err)
		return err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
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
	if (!r->selftest) {
		if (r->output_path) {
			r->out = fopen(r->output_path, "w");
			if (!r->out) {
				pk_err("cannot open '%s': %s", r->output_path, strerror(errno));
				return PK_EXIT_ERROR;
			}
		} else {
			r->out = stdout;
		}
		setvbuf(r->out, NULL, _IOFBF, 1 << 16);
		if (r->text)	/* before the self-check: other tasks' events may come then */
			fprintf(r->out, "%s\n", pk_event__text_header());
	}
	if (r->status_path) {
		err = pk_status__write(&r->st, r->status_path);
		if (err) {
			pk_err("cannot write status '%s': %s", r->status_path, strerror(-err));
			rc = PK_EXIT_ERROR;
			goto out;
		}
	}

	err = pk_host__detect(&r->host, NULL);
	if (err) {
		pk_err("cannot detect the host: %s", strerror(-err));
		rc = PK_EXIT_ERROR;
		goto out;
	}
	pk_features__probe(&r->feat, &r->host);
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
			      .btf_archive_data = r->btf_archive, .btf_archive_len = r->btf_archive_len);
		pk_chain__build(&r->chain, &r->host, &r->feat, &copts);
	}

	for (int i = 0; i < r->chain.n; i++) {
		struct pk_candidate *c = &r->chain.c[i];
		PK_PROBE_OPTS(popts, .kinds = r->kinds, .force_perf = r->buffer_mode == 2,
			      .ringbuf_ok = r->feat.ringbuf, .ringbuf_bytes = r->ringbuf_bytes,
			      .lockdown = r->host.lockdown);

		if (c->state == PK_ATTEMPT_SKIPPED)
			continue;
		if (r->buffer_mode == 1 && !r->feat.ringbuf) {
			c->state = PK_ATTEMPT_FAILED;
			pk_strlcpy(c->stage, "load", sizeof(c->stage));
			c->err = -EOPNOTSUPP;
			snprintf(c->why, sizeof(c->why), "--buffer ring: kernel has no BPF ring buffer");
			continue;
		}
		probe = pk_probe__load(c, &popts);
		if (!probe)
			continue;
		buf = pk_buffer__new(pk_probe__events_fd(probe), pk_probe__ringbuf(probe), 0,
				     on_event, r);
		if (!buf) {
			c->state = PK_ATTEMPT_FAILED;
			c->err = -errno;
			pk_strlcpy(c->stage, "attach", sizeof(c->stage));
			snprintf(c->why, sizeof(c->why), "cannot open the event buffer: %s",
				 strerror(errno));
			pk_probe__destroy(probe);
			probe = NULL;
			continue;
		}
		if (run_selfcheck(r, probe, buf, c)) {
			c->state = PK_ATTEMPT_OK;
			r->chain.winner = i;
			break;
		}
		c->state = PK_ATTEMPT_FAILED;
		c->err = -ETIMEDOUT;
		pk_strlcpy(c->stage, "self-check", sizeof(c->stage));
		pk_strlcpy(r->st.selfcheck_error, c->why, sizeof(r->st.selfcheck_error));
		pk_buffer__free(buf);
		buf = NULL;
		pk_probe__destroy(probe);
		probe = NULL;
		if (stop_signal)
			break;
	}

	if (r->chain.winner < 0) {
		r->st.state = "failed";
		if (!r->st.selfcheck_error[0])
			pk_strlcpy(r->st.selfcheck_error, "no candidate loaded",
				   sizeof(r->st.selfcheck_error));
		pk_status__print_startup(&r->st, stderr);
		pk_err("no probe candidate worked (%d in the chain); see the reasons above", r->chain.n);
		rc = PK_EXIT_FAIL;
		goto out;
	}
	r->st.buffer = pk_probe__ringbuf(probe) ? "ringbuf" : "perf";
	err = pk_probe__kernel_objects(probe, &r->kobjs);
	if (err)
		pk_debug("run: cannot list the probe's kernel objects: %s\n", strerror(-err));
	else
		r->st.kobjs = &r->kobjs;
	r->st.selfcheck_passed = true;
	r->st.selfcheck_error[0] = 0;
	r->st.selfcheck_ms = r->sc.latency_ms;
	r->st.startup_ms = mono_ms() - t0;
	r->st.state = r->selftest ? "stopped" : "running";

	/* the baseline first: a drop in between may count an unwanted event,
	 * but no wanted one goes uncounted */
	if (r->pid_filter || r->comm_filter)
		pk_probe__drops(probe, r->drops_base, PK_EV_MAX);
	err = pk_probe__set_filter(probe, r->pid_filter, r->comm_filter);
	if (err) {
		pk_err("cannot set the event filter: %s", strerror(-err));
		rc = PK_EXIT_ERROR;
		goto out;
	}
	pk_status__print_startup(&r->st, stderr);	/* stderr: --json output stays clean */
	write_status(r);
	if (r->selftest)
		goto out;

	next_status = mono_ms() + 2000;
	while (!stop_signal) {
		err = pk_buffer__poll(buf, r->flush_ms);
		if (err < 0 && err != -EINTR) {
			pk_err("reading events failed: %s", strerror(-err));
			rc = PK_EXIT_ERROR;
			break;
		}
		fflush(r->out);
		if (r->duration_s && mono_ms() - t0 >= r->duration_s * 1000)
			break;
		if (r->status_path && mono_ms() >= next_status) {
			read_drops(r, probe);
			r->st.lost = pk_buffer__lost(buf);
			write_status(r);
			next_status = mono_ms() + 2000;
		}
	}
	/* detach, then drain what is already in the buffer */
	pk_probe__detach(probe);
	while (pk_buffer__poll(buf, 0) > 0)
		;
	if (r->out)
		fflush(r->out);
	read_drops(r, probe);
	r->st.lost = pk_buffer__lost(buf);
	r->st.state = "stopped";
	write_status(r);
	print_summary(r, stderr);

out:
	pk_buffer__free(buf);
	pk_probe__destroy(probe);
	if (r->selftest && r->json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_status__to_json(&r->st, &j);
		if (!j.err)
			printf("%s\n", j.buf);
		pk_json__free(&j);
	} else if (r->selftest && rc == PK_EXIT_OK) {
		printf("selftest: passed with %s in %.1f ms\n", r->chain.c[r->chain.winner].name,
		       r->st.selfcheck_ms);
	} else if (r->selftest && rc == PK_EXIT_FAIL) {
		printf("selftest: FAILED\n");
	}
	if (rc && r->status_path && strcmp(r->st.state, "starting"))
		write_status(r);
	if (r->out && r->out != stdout)
		fclose(r->out);
	pk_json__free(&r->j);
	pk_chain__free(&r->chain);
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
