/* Status JSON and the human startup block. Formatting only: no I/O besides the
 * atomic status file write and the FILE the caller passes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/event.h"
#include "agent/host.h"
#include "common/json.h"
#include "agent/loader.h"
#include "common/pk.h"
#include "agent/status.h"

static const struct pk_candidate *winner(const struct pk_status *s)
{
	if (!s->chain || s->chain->winner < 0)
		return NULL;
	return &s->chain->c[s->chain->winner];
}

void pk_status__format_fallback(const struct pk_status *s, char *out, size_t size)
{
	const struct pk_candidate *w = winner(s);
	size_t off = 0;

	out[0] = 0;
	if (!w)
		return;
	for (int i = 0; i < s->chain->winner; i++) {
		const struct pk_candidate *c = &s->chain->c[i];

		if (c->state != PK_ATTEMPT_FAILED && c->state != PK_ATTEMPT_SKIPPED)
			continue;
		off += snprintf(out + off, off < size ? size - off : 0, "%s%s %s (%s%s%s)",
				off ? "; " : "", c->name,
				c->state == PK_ATTEMPT_SKIPPED ? "skipped" : "failed",
				c->state == PK_ATTEMPT_FAILED ? c->stage : "",
				c->state == PK_ATTEMPT_FAILED ? ": " : "", c->err.msg);
	}
	if (off)
		snprintf(out + off, off < size ? size - off : 0, " -> using %s", w->name);
}

static void kobj_array(struct pk_json *j, const char *key, const struct pk_kobj *arr, int n)
{
	pk_json__key(j, key);
	pk_json__arr_begin(j);
	for (int i = 0; i < n; i++) {
		pk_json__obj_begin(j);
		pk_json__kv_str(j, "name", arr[i].name);
		pk_json__kv_uint(j, "id", arr[i].id);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
}

/* this process's peak resident set (VmHWM), 0 when /proc cannot say */
static uint64_t peak_rss_kb(void)
{
	char *data = NULL, *p;
	size_t len;
	uint64_t kb = 0;

	if (pk_file__read("/proc/self/status", &data, &len, 1 << 16))
		return 0;
	p = strstr(data, "\nVmHWM:");
	if (p)
		kb = strtoull(p + 7, NULL, 10);
	free(data);
	return kb;
}

void pk_status__to_json(const struct pk_status *s, struct pk_json *j)
{
	const struct pk_candidate *w = winner(s);
	char buf[2048];

	pk_json__obj_begin(j);
	pk_json__kv_str(j, "version", s->version);
	pk_json__kv_int(j, "pid", s->pid);
	pk_json__kv_int(j, "start_time", s->start_time);
	pk_json__kv_str(j, "state", s->state);
	if (s->host) {
		const struct pk_host *h = s->host;

		pk_json__key(j, "host");
		pk_json__obj_begin(j);
		pk_json__kv_str(j, "kernel_release", h->kernel_release);
		pk_json__kv_str(j, "kernel_version", h->kernel_version);
		pk_json__kv_str(j, "arch", h->arch);
		pk_json__kv_str(j, "os_id", h->os.id);
		pk_json__kv_str(j, "os_version_id", h->os.version_id);
		pk_json__kv_str(j, "target_id", h->target_id);
		pk_json__kv_str(j, "kernel_btf", h->btf_source == PK_KERNEL_BTF_NONE ? NULL : h->btf_path);
		pk_json__kv_str(j, "lockdown", h->lockdown[0] ? h->lockdown : NULL);
		pk_json__obj_end(j);
	}
	pk_json__kv_str(j, "candidate", w ? w->name : NULL);
	pk_json__kv_str(j, "object", w ? w->obj_desc : NULL);
	pk_json__kv_str(j, "btf", w ? w->btf_desc : NULL);
	pk_json__kv_str(j, "buffer", s->buffer);
	pk_json__kv_uint(j, "peak_rss_kb", peak_rss_kb());
	/* the winner's repository, URL, digest and cache entry, when it was fetched */
	if (w && w->has_source)
		pk_candidate__source_json(w, j);
	else
		pk_json__kv_str(j, "source", NULL);
	pk_status__format_fallback(s, buf, sizeof(buf));
	pk_json__kv_bool(j, "fallback", buf[0] != 0);
	pk_json__kv_str(j, "fallback_reason", buf[0] ? buf : NULL);
	pk_kinds__str(s->kinds, buf, sizeof(buf));
	pk_json__kv_str(j, "events_enabled", buf);
	pk_json__key(j, "attempts");
	if (s->chain)
		pk_chain__to_json(s->chain, j);
	else
		pk_json__null(j);
	pk_json__key(j, "selfcheck");
	pk_json__obj_begin(j);
	pk_json__kv_bool(j, "ran", s->selfcheck_ran);
	pk_json__kv_bool(j, "passed", s->selfcheck_passed);
	pk_json__kv_double(j, "latency_ms", s->selfcheck_ms);
	pk_json__kv_int(j, "canary_runs", s->selfcheck_runs);
	pk_json__kv_double(j, "startup_ms", s->startup_ms);
	pk_json__kv_str(j, "error", s->selfcheck_err.msg[0] ? s->selfcheck_err.msg : NULL);
	pk_json__obj_end(j);
	pk_json__key(j, "counters");
	pk_json__obj_begin(j);
	for (int k = 1; k < PK_EV_MAX; k++) {
		pk_json__key(j, pk_kind__str(k));
		pk_json__obj_begin(j);
		pk_json__kv_uint(j, "events", s->events[k]);
		pk_json__kv_uint(j, "drops", s->drops[k]);
		pk_json__obj_end(j);
	}
	pk_json__kv_uint(j, "perf_lost", s->lost);
	pk_json__obj_end(j);
	/* events that came but could not be written (full disk, closed pipe) */
	pk_json__key(j, "output");
	pk_json__obj_begin(j);
	pk_json__kv_uint(j, "write_errors", s->write_errors);
	pk_json__kv_int(j, "errno", -s->write_err.code);
	pk_json__kv_str(j, "error", s->write_err.code ? pk_error__str(&s->write_err) : NULL);
	pk_json__obj_end(j);
	/* what the winner put in the kernel, by the ids bpftool shows; all of it
	 * is unloaded when the state becomes "stopped" */
	pk_json__key(j, "kernel_objects");
	if (!s->kobjs) {
		pk_json__null(j);
	} else {
		const struct pk_kernel_objects *k = s->kobjs;

		pk_json__obj_begin(j);
		kobj_array(j, "programs", k->progs, k->nprogs);
		kobj_array(j, "maps", k->maps, k->nmaps);
		pk_json__key(j, "links");
		pk_json__arr_begin(j);
		for (int i = 0; i < k->nlinks; i++)
			pk_json__uint(j, k->links[i]);
		pk_json__arr_end(j);
		pk_json__obj_end(j);
	}
	pk_json__obj_end(j);
}

int pk_status__write(const struct pk_status *s, const char *path)
{
	struct pk_json j;
	int err;

	pk_json__init(&j, true);
	pk_status__to_json(s, &j);
	pk_json__raw(&j, "\n", 1);
	err = j.err ?: pk_file__write_atomic(path, j.buf, j.len);
	pk_json__free(&j);
	return err;
}

void pk_status__print_startup(const struct pk_status *s, FILE *f)
{
	const struct pk_host *h = s->host;
	const struct pk_candidate *w = winner(s);
	char buf[4096];

	fprintf(f, "probekit %s (pid %d)\n", s->version, s->pid);
	if (h) {
		fprintf(f, "  host:       %s %s (target %s), kernel %s #%s, %s\n",
			h->os.id[0] ? h->os.id : "unknown-os", h->os.version_id, h->target_id,
			h->kernel_release, h->kernel_version, h->arch);
		fprintf(f, "  kernel BTF: %s\n", h->btf_source == PK_KERNEL_BTF_NONE ? "none" : h->btf_path);
	}
	if (s->chain) {
		for (int i = 0; i < s->chain->n; i++) {
			const struct pk_candidate *c = &s->chain->c[i];

			fprintf(f, "  %-11s %-14s ", i ? "" : "candidates:", c->name);
			if (c->state == PK_ATTEMPT_OK)
				fprintf(f, "ok (%s, BTF %s, %.0f ms)\n", c->obj_desc, c->btf_desc,
					c->load_ms);
			else if (c->state == PK_ATTEMPT_FAILED)
				fprintf(f, "FAILED at %s: %s\n", c->stage, c->err.msg);
			else if (c->state == PK_ATTEMPT_SKIPPED)
				fprintf(f, "skipped: %s\n", c->err.msg);
			else
				fprintf(f, "not tried\n");
		}
	}
	/* every place asked for a file that did not serve it, and why */
	for (int i = 0; s->chain && i < s->chain->n; i++) {
		const struct pk_candidate *c = &s->chain->c[i];

		for (int k = 0; c->has_source && k < c->source.nr_attempts; k++) {
			const struct pk_cand_attempt *a = &c->source.attempts[k];

			if (!strcmp(a->outcome, "ok") || !strcmp(a->outcome, "cached"))
				continue;
			fprintf(f, "  %-11s %s: %s %s: %s\n", "download:", c->name, a->where, a->outcome,
				a->reason);
		}
		if (c->has_source && c->source.dropped)
			fprintf(f, "  %-11s %s: %d more attempts not kept\n", "download:", c->name,
				c->source.dropped);
	}
	if (w) {
		fprintf(f, "  using:      %s with %s buffer\n", w->name, s->buffer ? s->buffer : "?");
		if (w->has_source && w->source.index_version)
			fprintf(f, "  source:     %s (signed index version %llu, SHA256 %s, cache %s, %s)\n",
				w->source.url, (unsigned long long)w->source.index_version,
				w->source.sha256, w->source.cache,
				w->source.from_cache ? "nothing downloaded" : "downloaded");
		else if (w->has_source)
			fprintf(f, "  source:     %s (probe directory, not signed; SHA256 %s)\n",
				w->source.url, w->source.sha256);
		pk_status__format_fallback(s, buf, sizeof(buf));
		if (buf[0])
			fprintf(f, "  FALLBACK:   %s\n", buf);
	}
	if (s->selfcheck_ran) {
		if (s->selfcheck_passed)
			fprintf(f, "  self-check: passed in %.1f ms (startup %.0f ms)\n", s->selfcheck_ms,
				s->startup_ms);
		else
			fprintf(f, "  self-check: FAILED: %s\n", s->selfcheck_err.msg);
	}
	pk_kinds__str(s->kinds, buf, sizeof(buf));
	fprintf(f, "  events:     %s\n", buf);
	fflush(f);
}
