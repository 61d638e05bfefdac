/* Child processes (common/child.h): fork, exec, capture the tail of the output,
 * wait. Never prints; a child that cannot exec exits 127 with its reason in the
 * captured text. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "common/child.h"
#include "common/pk.h"

#define CAPTURE_MAX (64u << 10)	/* the tail of a command's output says why it failed */

int pk_child__run(char *const argv[], const char *in, const char *out, char **text)
{
	PK_CHILD_OPTS(o, .in = in, .out = out);

	return pk_child__run_opts(argv, &o, text);
}

int pk_child__run_opts(char *const argv[], const struct pk_child_opts *o, char **text)
{
	const char *in = PK_OPTS_GET(o, in, NULL), *out = PK_OPTS_GET(o, out, NULL);
	int pass_fd = PK_OPTS_GET(o, pass_fd, 0);
	long timeout_ms = PK_OPTS_GET(o, timeout_ms, 0);
	const volatile sig_atomic_t *stop = PK_OPTS_GET(o, stop, NULL);
	double deadline = timeout_ms > 0 ? pk_now_ms() + timeout_ms : 0;
	char buf[4096], *t = NULL;
	size_t tl = 0;
	int pfd[2], status = 0, killed = 0;
	pid_t pid;

	if (text)
		*text = NULL;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		int ifd = open(in ? in : "/dev/null", O_RDONLY);
		int ofd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644) : pfd[1];

		if (ifd < 0 || ofd < 0)
			_exit(126);
		/* the one descriptor the caller hands over survives the exec */
		if (pass_fd > 2 && fcntl(pass_fd, F_SETFD, 0))
			_exit(126);
		dup2(ifd, 0);
		dup2(ofd, 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r;

		/* a deadline or a stop request ends the child: its output then ends too */
		if (!killed && (deadline || stop)) {
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };
			double left = deadline ? deadline - pk_now_ms() : 200;
			int pr;

			if (stop && *stop)
				killed = -EINTR;
			else if (deadline && left <= 0)
				killed = -ETIMEDOUT;
			if (killed) {
				kill(pid, SIGKILL);
				continue;
			}
			pr = poll(&p, 1, left > 200 ? 200 : (int)left + 1);
			if (pr == 0 || (pr < 0 && errno == EINTR))
				continue;
		}
		r = read(pfd[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!text)
			continue;
		if (tl + r > CAPTURE_MAX) {	/* keep the tail */
			size_t drop = tl + r - CAPTURE_MAX;

			if (drop > tl)
				drop = tl;
			memmove(t, t + drop, tl - drop);
			tl -= drop;
		}
		char *nt = realloc(t, tl + r + 1);

		if (!nt)
			break;
		t = nt;
		memcpy(t + tl, buf, r);
		tl += r;
		t[tl] = 0;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {	/* no status to report: never read one as success */
			int err = -errno;

			free(t);
			return err;
		}
	}
	if (text)
		*text = t;
	else
		free(t);
	return killed ? killed : status;
}

int pk_child__sh(const char *script, const char *a1, const char *a2, char **text)
{
	char *argv[] = { "sh", "-c", (char *)script, "sh", (char *)a1, (char *)a2, NULL };

	return pk_child__run(argv, NULL, NULL, text);
}
