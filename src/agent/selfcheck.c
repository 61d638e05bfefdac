/* Self-check canary: one child process whose activity covers every event kind.
 * Matching is strict (pid, port, path, exit code) so that unrelated activity on
 * a busy host can never pass the check by accident. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "agent/buffer.h"
#include "agent/event.h"
#include "agent/loader.h"
#include "agent/selfcheck.h"
#include "common/pk.h"

static void add_pid(struct pk_selfcheck *sc, pid_t pid)
{
	if (pk_selfcheck__owns(sc, pid) || sc->npids >= PK_SELFCHECK_MAX_PIDS)
		return;
	sc->pids[sc->npids++] = pid;
}

static int spawn(struct pk_selfcheck *sc);

bool pk_selfcheck__owns(const struct pk_selfcheck *sc, uint32_t pid)
{
	for (int i = 0; i < sc->npids; i++)
		if ((uint32_t)sc->pids[i] == pid)
			return true;
	return false;
}

int pk_selfcheck__start(struct pk_selfcheck *sc, uint32_t kinds, const char *exe)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	ssize_t n;
	int err;

	memset(sc, 0, sizeof(*sc));
	sc->kinds = kinds;
	sc->exit_status = -1;
	sc->listen_fd = -1;
	if (exe) {
		if (pk_strlcpy(sc->exe, exe, sizeof(sc->exe)))
			return -ENAMETOOLONG;
	} else {
		n = readlink("/proc/self/exe", sc->exe, sizeof(sc->exe) - 1);
		if (n < 0)
			return -errno;
		sc->exe[n] = 0;
	}
	snprintf(sc->token, sizeof(sc->token), "/nonexistent/probekit-canary-%d-%ld", (int)getpid(),
		 (long)time(NULL));

	/* inherited by the canary: it accepts its own connection on it */
	sc->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (sc->listen_fd < 0)
		return -errno;
	if (bind(sc->listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(sc->listen_fd, 4) ||
	    getsockname(sc->listen_fd, (struct sockaddr *)&a, &alen)) {
		err = -errno;
		close(sc->listen_fd);
		sc->listen_fd = -1;
		return err;
	}
	sc->port = ntohs(a.sin_port);

	sc->start_ms = pk_now_ms();
	err = spawn(sc);
	if (err) {
		close(sc->listen_fd);
		sc->listen_fd = -1;
	}
	return err;
}

/* fork + exec one canary run against the listener and token in sc */
static int spawn(struct pk_selfcheck *sc)
{
	char fdbuf[16], portbuf[16];
	pid_t pid;

	snprintf(fdbuf, sizeof(fdbuf), "%d", sc->listen_fd);
	snprintf(portbuf, sizeof(portbuf), "%u", sc->port);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *argv[] = { sc->exe, "__canary", fdbuf, portbuf, sc->token, NULL };
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		execv(sc->exe, argv);
		_exit(127);
	}
	sc->canary = pid;
	sc->exit_status = -1;
	sc->runs++;
	add_pid(sc, pid);
	return 0;
}

bool pk_selfcheck__canary_done(struct pk_selfcheck *sc)
{
	int st;

	if (sc->canary <= 0)
		return true;
	if (sc->exit_status >= 0)
		return true;
	if (waitpid(sc->canary, &st, WNOHANG) == sc->canary) {
		sc->exit_status = st;
		sc->done_ms = pk_now_ms();
		return true;
	}
	return false;
}

int pk_selfcheck__rerun(struct pk_selfcheck *sc)
{
	if (!pk_selfcheck__canary_done(sc))
		return -EBUSY;
	if (sc->listen_fd < 0)
		return -EBADF;
	return spawn(sc);
}

static void mark(struct pk_selfcheck *sc, int kind)
{
	sc->seen |= PK_KIND_BIT(kind);
	if (pk_selfcheck__passed(sc) && !sc->latency_ms)
		sc->latency_ms = pk_now_ms() - sc->start_ms;
}

bool pk_selfcheck__event(struct pk_selfcheck *sc, const void *data, size_t len)
{
	int kind = pk_event__kind(data, len);
	const struct pk_hdr *h = data;

	if (kind < 0 || !sc->canary)
		return false;
	if (kind == PK_EV_EXIT) {
		const struct pk_exit_event *e = data;

		/* the canary's child: exit code 42, parent is the canary */
		if (e->ppid == (uint32_t)sc->canary &&
		    ((e->exit_code >> 8) & 0xff) == PK_CANARY_EXIT_CODE && !(e->exit_code & 0x7f)) {
			add_pid(sc, h->pid);
			mark(sc, kind);
			return true;
		}
		return pk_selfcheck__owns(sc, h->pid);
	}
	if (h->pid != (uint32_t)sc->canary)
		return pk_selfcheck__owns(sc, h->pid);

	switch (kind) {
	case PK_EV_EXEC: {
		const struct pk_exec_event *e = data;

		if (!strncmp(e->filename, sc->exe, sizeof(e->filename)) &&
		    e->args_len > strlen(sc->exe) + 1 &&
		    !strncmp(e->args + strlen(sc->exe) + 1, "__canary", 9))
			mark(sc, kind);
		break;
	}
	case PK_EV_FORK:
		add_pid(sc, ((const struct pk_fork_event *)data)->child_pid);
		mark(sc, kind);
		break;
	case PK_EV_CONNECT: {
		const struct pk_sock_event *e = data;
		static const uint8_t lo[4] = { 127, 0, 0, 1 };

		if (e->family == AF_INET && e->dport == sc->port && !e->result &&
		    !memcmp(e->daddr, lo, 4))
			mark(sc, kind);
		break;
	}
	case PK_EV_ACCEPT: {
		const struct pk_sock_event *e = data;

		if (e->sport == sc->port && e->result >= 0)
			mark(sc, kind);
		break;
	}
	case PK_EV_CLOSE: {
		const struct pk_sock_event *e = data;

		if (e->sport == sc->port || e->dport == sc->port)
			mark(sc, kind);
		break;
	}
	case PK_EV_OPEN: {
		const struct pk_open_event *e = data;

		if (!strncmp(e->path, sc->token, sizeof(e->path)) && e->result == -ENOENT)
			mark(sc, kind);
		break;
	}
	}
	return true;
}

bool pk_selfcheck__passed(const struct pk_selfcheck *sc)
{
	return sc->canary && (sc->seen & sc->kinds) == sc->kinds;
}

void pk_selfcheck__missing(const struct pk_selfcheck *sc, char *out, size_t size)
{
	pk_kinds__str(sc->kinds & ~sc->seen, out, size);
}

void pk_selfcheck__stop(struct pk_selfcheck *sc)
{
	if (sc->canary > 0 && sc->exit_status < 0) {
		int st;

		for (int i = 0; i < 100; i++) {
			pid_t r = waitpid(sc->canary, &st, WNOHANG);

			if (r == sc->canary) {
				sc->exit_status = st;
				break;
			}
			if (r < 0)
				break;
			if (i == 50)
				kill(sc->canary, SIGKILL);
			usleep(10000);
		}
	}
	if (sc->listen_fd >= 0) {
		close(sc->listen_fd);
		sc->listen_fd = -1;
	}
}

/* Were events of a kind the check still misses dropped since base? Updates base
 * to the current counts. */
static bool missing_dropped(const struct pk_selfcheck *sc, const struct pk_probe *p,
			    uint64_t *base)
{
	uint32_t missing = sc->kinds & ~sc->seen;
	uint64_t now[PK_EV_MAX] = { 0 };
	bool lost = false;

	if (pk_probe__drops(p, now, PK_EV_MAX))
		return false;
	for (int k = 0; k < PK_EV_MAX; k++)
		if ((missing & PK_KIND_BIT(k)) && now[k] > base[k])
			lost = true;
	memcpy(base, now, sizeof(now));
	return lost;
}

/* When events of a kind still missing were dropped (a full buffer on a busy host),
 * the canary runs again, up to PK_SELFCHECK_MAX_RUNS times within the timeout. */
int pk_selfcheck__run(struct pk_selfcheck *sc, struct pk_probe *p, struct pk_buffer *b,
		      const struct pk_selfcheck_opts *opts, struct pk_error *err)
{
	const volatile sig_atomic_t *stop;
	uint64_t base[PK_EV_MAX] = { 0 };
	char missing[128], runs[96] = "";
	double deadline, timeout_s;
	int rc = 0, st;

	if (!PK_OPTS_VALID(opts, struct pk_selfcheck_opts))
		return pk_error__set(err, -EINVAL, "invalid self-check options");
	stop = PK_OPTS_GET(opts, stop, NULL);
	timeout_s = PK_OPTS_GET(opts, timeout_s, 0);
	if (timeout_s <= 0)
		timeout_s = PK_SELFCHECK_TIMEOUT_S;
	pk_probe__drops(p, base, PK_EV_MAX);
	rc = pk_selfcheck__start(sc, PK_OPTS_GET(opts, kinds, 0), PK_OPTS_GET(opts, exe, NULL));
	if (rc)
		return pk_error__set(err, rc, "cannot start the canary: %s", strerror(-rc));
	sc->active = true;
	deadline = pk_now_ms() + timeout_s * 1000;
	while (!pk_selfcheck__passed(sc) && pk_now_ms() < deadline && !(stop && *stop)) {
		rc = pk_buffer__poll(b, 5);
		if (rc < 0 && rc != -EINTR)
			break;
		rc = 0;
		/* the run is over and its events had 100 ms to arrive */
		if (sc->runs < PK_SELFCHECK_MAX_RUNS && pk_selfcheck__canary_done(sc) &&
		    pk_now_ms() - sc->done_ms > 100 && missing_dropped(sc, p, base))
			pk_selfcheck__rerun(sc);
	}
	sc->active = false;
	pk_selfcheck__stop(sc);
	if (pk_selfcheck__passed(sc))
		return 0;
	pk_selfcheck__missing(sc, missing, sizeof(missing));
	if (sc->runs > 1)
		snprintf(runs, sizeof(runs), " (%d canary runs; events were dropped: buffer too small?)",
			 sc->runs);
	st = sc->exit_status;
	if (stop && *stop)
		return pk_error__set(err, -EINTR, "interrupted by signal %d", (int)*stop);
	if (rc < 0)
		return pk_error__set(err, rc, "reading events failed: %s", strerror(-rc));
	if (st > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return pk_error__set(err, -ENOEXEC, "the canary could not be executed ('%s' exit 127); no %s event within %.1f s",
				     sc->exe, missing, timeout_s);
	if (st > 0 && WIFEXITED(st) && WEXITSTATUS(st))
		return pk_error__set(err, -EPROTO, "the canary failed (exit %d); no %s event within %.1f s%s",
				     WEXITSTATUS(st), missing, timeout_s, runs);
	return pk_error__set(err, sc->runs > 1 ? -ENOBUFS : -ETIMEDOUT,
			     "no %s event from the canary (pid %d) within %.1f s%s", missing,
			     (int)sc->canary, timeout_s, runs);
}

/* ------------------------------------------------------------ the canary */

int pk_canary__main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int lfd, cfd, afd, st, fd;
	long port;
	char *end;
	pid_t child;

	if (argc != 3)
		return 2;
	lfd = (int)strtol(argv[0], &end, 10);
	if (*end || lfd < 0)
		return 2;
	port = strtol(argv[1], &end, 10);
	if (*end || port <= 0 || port > 65535)
		return 2;
	a.sin_port = htons((uint16_t)port);

	/* connect + accept on the agent's listener, then a reset close */
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)))
		return 3;
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		return 4;
	setsockopt(afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(afd);
	close(cfd);
	close(lfd);

	/* open of a path that cannot exist */
	fd = open(argv[2], O_RDONLY);
	if (fd >= 0)
		close(fd);

	/* fork a child that exits with a known code */
	child = fork();
	if (child < 0)
		return 5;
	if (child == 0)
		_exit(PK_CANARY_EXIT_CODE);
	if (waitpid(child, &st, 0) != child)
		return 6;
	return 0;
}
