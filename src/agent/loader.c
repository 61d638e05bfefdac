/* The walk over the candidate chain: the one place that decides which candidate
 * serves, used by `run`, `selftest` and the verify guest alike. Each attempt's
 * outcome is recorded in its candidate; losers are unloaded before the next. */
#include <errno.h>
#include <string.h>

#include "agent/buffer.h"
#include "agent/loader.h"
#include "agent/selfcheck.h"
#include "common/pk.h"

/* one candidate, all stages; 0 and *out filled when it serves */
static int attempt(struct pk_candidate *c, const struct pk_loader_opts *o, struct pk_loaded *out)
{
	struct pk_selfcheck *sc = PK_OPTS_GET(o, selfcheck, NULL);
	pk_event_fn on_event = PK_OPTS_GET(o, on_event, NULL);
	struct pk_probe *p;
	struct pk_buffer *b;
	int err;

	if (c->fetch) {
		double t0 = pk_now_ms();

		pk_error__clear(&c->err);
		err = c->fetch(c, c->fetch_ctx, &c->err);
		c->fetch_ms = pk_now_ms() - t0;
		if (err) {
			pk_error__set_once(&c->err, err, "%s", strerror(-err));
			return pk_candidate__fail(c, "fetch");
		}
	}
	p = pk_probe__load(c, PK_OPTS_GET(o, probe, NULL));
	if (!p)
		return c->err.code;
	b = pk_buffer__new(pk_probe__events_fd(p), pk_probe__ringbuf(p), on_event,
			   PK_OPTS_GET(o, event_ctx, NULL));
	if (!b) {
		err = -errno;
		pk_error__set(&c->err, err, "cannot open the event buffer: %s", strerror(-err));
		pk_probe__destroy(p);
		return pk_candidate__fail(c, "attach");
	}
	if (sc) {
		err = pk_selfcheck__run(sc, p, b, PK_OPTS_GET(o, selfcheck_opts, NULL), &c->err);
		if (err) {
			pk_buffer__free(b);
			pk_probe__destroy(p);
			return pk_candidate__fail(c, "self-check");
		}
	}
	c->state = PK_ATTEMPT_OK;
	out->probe = p;
	out->buffer = b;
	return 0;
}

int pk_loader__run(struct pk_chain *ch, const struct pk_loader_opts *o, struct pk_loaded *out)
{
	const volatile sig_atomic_t *stop;

	memset(out, 0, sizeof(*out));
	ch->winner = -1;
	if (!PK_OPTS_VALID(o, struct pk_loader_opts) || !PK_OPTS_GET(o, on_event, NULL))
		return -EINVAL;
	stop = PK_OPTS_GET(o, stop, NULL);
	for (int i = 0; i < ch->n; i++) {
		struct pk_candidate *c = &ch->c[i];

		if (c->state == PK_ATTEMPT_SKIPPED)
			continue;
		if (stop && *stop)
			return -EINTR;
		if (attempt(c, o, out) == 0) {
			ch->winner = i;
			return 0;
		}
	}
	return stop && *stop ? -EINTR : -ENOENT;
}

void pk_loaded__destroy(struct pk_loaded *l)
{
	if (!l)
		return;
	pk_buffer__free(l->buffer);
	pk_probe__destroy(l->probe);
	l->buffer = NULL;
	l->probe = NULL;
}
