/* `run --metrics ADDR`: Prometheus text exposition of the agent's counters, and
 * /healthz and /ready, served by libmicrohttpd's own thread (dlopen'd: see
 * microhttpd_dl.h). The run loop sets values; the HTTP thread only reads them. */
#ifndef PK_METRICS_H
#define PK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

struct pk_chain;
struct pk_metrics;

struct pk_metrics_opts {
	size_t sz;
	const char *version;		/* probekit_build_info{version=...}; NULL: "unknown" */
	int64_t start_time;		/* unix seconds; 0: now */
	uint32_t kinds;			/* PK_KIND_BIT mask of the kinds exposed; 0: all */
};
#define PK_METRICS_OPTS(name, ...)                                             \
	struct pk_metrics_opts name = { .sz = sizeof(struct pk_metrics_opts), __VA_ARGS__ }

/* Listen on addr and serve from a thread of libmicrohttpd's:
 *   "127.0.0.1:9464", "[::1]:9464", ":9464" (every address, IPv6 and IPv4);
 *   port 0 takes any free port (pk_metrics__port says which).
 * Hosts are numeric. -EINVAL for a bad addr, -EADDRINUSE (or the bind's errno)
 * when the address cannot be taken, -ELIBACC without libmicrohttpd; err says why. */
int pk_metrics__start(const char *addr, const struct pk_metrics_opts *opts,
		      struct pk_metrics **out, struct pk_error *err);
/* stop serving (the thread is joined) and free; NULL-safe */
void pk_metrics__stop(struct pk_metrics *m);
int pk_metrics__port(const struct pk_metrics *m);
/* the bound address as a person writes it: "127.0.0.1:9464", "[::]:9464" */
const char *pk_metrics__addr(const struct pk_metrics *m);

/* Setters, called from the agent's thread while the HTTP thread reads; all are
 * NULL-safe (m NULL: metrics off) and never block on a scrape for long. */
/* absolute totals, indexed by enum pk_kind, n entries (as struct pk_status has them) */
void pk_metrics__set_events(struct pk_metrics *m, const uint64_t *events, int n);
void pk_metrics__set_drops(struct pk_metrics *m, const uint64_t *drops, int n);
void pk_metrics__set_lost(struct pk_metrics *m, uint64_t lost);	/* perf buffer */
/* after the walk: the winner, whether it is a fallback (a candidate before it was
 * skipped or failed: the status's "fallback"), and every candidate's state */
void pk_metrics__set_chain(struct pk_metrics *m, const struct pk_chain *ch);
/* /ready answers 200 only while ready: set once the self-check passed and events
 * flow, cleared when the agent stops */
void pk_metrics__set_ready(struct pk_metrics *m, bool ready);

/* One more failure, by reason class: [a-z0-9_], at most 31 characters (anything
 * else, or more than PK_METRICS_MAX_CLASSES classes, counts as "other"). The
 * classes below are exposed as 0 from the start, so that alerts on their rate
 * work before the first failure:
 *   download:     not_found (404), http (other HTTP status), timeout, network
 *                 (connect, reset, DNS), size (a body longer than the index says)
 *   verification: signature (bad, missing or another key's), rollback, expired,
 *                 size, digest (SHA256) */
#define PK_METRICS_MAX_CLASSES 16
void pk_metrics__add_download_failure(struct pk_metrics *m, const char *class_);
void pk_metrics__add_verify_failure(struct pk_metrics *m, const char *class_);

/* The exposition text as /metrics serves it (for tests and a one-shot dump):
 * a malloc'd NUL-terminated string, or NULL with errno set */
char *pk_metrics__format(struct pk_metrics *m, size_t *len);

#endif
