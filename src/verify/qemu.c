/* One QEMU boot for probekit verify: build the command line, run QEMU in its own
 * process group with the serial console on a pipe, watch for the verdict or a
 * panic, and kill the group at the deadline: nothing here blocks past it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common/pk.h"
#include "verify/console.h"
#include "verify/qemu.h"

#define CONSOLE_MAX (16u << 20)		/* keep at most this much console in memory */
#define GRACE_MS 10000.0		/* verdict or panic seen: QEMU gets this long to exit */
#define DEFAULT_MEM_MB 768
#define DEFAULT_TIMEOUT_S 300.0
#define DEFAULT_KVM_STALL_S 20.0

const char *pk_vm_outcome__str(enum pk_vm_outcome o)
{
	switch (o) {
	case PK_VM_VERDICT: return "verdict";
	case PK_VM_PANIC: return "panic";
	case PK_VM_TIMEOUT: return "timeout";
	case PK_VM_EXITED: return "exited";
	case PK_VM_KVM_STALL: return "kvm-stall";
	case PK_VM_LAUNCH_FAILED: return "launch-failed";
	}
	return "?";
}

void pk_vm_result__free(struct pk_vm_result *r)
{
	if (!r)
		return;
	free(r->json);
	free(r->guest_err);
	r->json = r->guest_err = NULL;
}

int pk_vm__run(const struct pk_vm_opts *opts, struct pk_vm_result *r)
{
	const char *qemu = PK_OPTS_GET(opts, qemu, NULL);
	const char *kernel = PK_OPTS_GET(opts, kernel, NULL);
	const char *initrd = PK_OPTS_GET(opts, initrd, NULL);
	const char *extra = PK_OPTS_GET(opts, append, NULL);
	const char *console_path = PK_OPTS_GET(opts, console_path, NULL);
	const char *nonce = PK_OPTS_GET(opts, nonce, NULL);
	enum pk_vm_accel accel = PK_OPTS_GET(opts, accel, PK_VM_ACCEL_TCG);
	int mem_mb = PK_OPTS_GET(opts, mem_mb, 0);
	double timeout = PK_OPTS_GET(opts, timeout_s, 0.0);
	double stall = PK_OPTS_GET(opts, kvm_stall_s, 0.0);
	char mem[16], append[2048], *argv[32], buf[65536];
	char *con = NULL;
	size_t clen = 0, ccap = 0, scanned = 0;
	double t0, deadline, grace_until = 0;
	bool saw_linux = false, stalled = false, timed_out = false, eof = false;
	int pfd[2], cfd = -1, status = 0, a = 0, err = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->guest_rc = -1;
	if (!PK_OPTS_VALID(opts, struct pk_vm_opts) || !kernel || !initrd) {
		r->outcome = PK_VM_LAUNCH_FAILED;
		return pk_error__set(&r->err, -EINVAL, "%s", !PK_OPTS_VALID(opts, struct pk_vm_opts)
				     ? "QEMU: options this library does not know" : "QEMU: no kernel or initrd");
	}
	if (timeout <= 0)
		timeout = DEFAULT_TIMEOUT_S;
	if (stall <= 0)
		stall = DEFAULT_KVM_STALL_S;
	if (!qemu || !*qemu)
		qemu = getenv("PROBEKIT_QEMU");
	if (!qemu || !*qemu)
		qemu = "qemu-system-x86_64";
	snprintf(mem, sizeof(mem), "%dM", mem_mb > 0 ? mem_mb : DEFAULT_MEM_MB);
	snprintf(append, sizeof(append), "console=ttyS0,115200 panic=-1 %s", extra ? extra : "");
	argv[a++] = (char *)qemu;
	argv[a++] = "-nodefaults";
	argv[a++] = "-no-user-config";
	argv[a++] = "-display";
	argv[a++] = "none";
	argv[a++] = "-no-reboot";
	argv[a++] = "-m";
	argv[a++] = mem;
	argv[a++] = "-accel";
	argv[a++] = accel == PK_VM_ACCEL_KVM ? "kvm" : "tcg";
	if (accel == PK_VM_ACCEL_KVM) {
		argv[a++] = "-cpu";
		argv[a++] = "host";
	}
	argv[a++] = "-serial";
	argv[a++] = "stdio";
	argv[a++] = "-kernel";
	argv[a++] = (char *)kernel;
	argv[a++] = "-initrd";
	argv[a++] = (char *)initrd;
	argv[a++] = "-append";
	argv[a++] = append;
	argv[a] = NULL;

	if (console_path) {
		cfd = open(console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (cfd < 0) {
			r->outcome = PK_VM_LAUNCH_FAILED;
			return pk_error__set(&r->err, -errno, "cannot write '%s': %s", console_path,
					     strerror(errno));
		}
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		err = -errno;
		goto launch_failed;
	}
	t0 = pk_now_ms();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		goto launch_failed;
	}
	if (pid == 0) {
		int nfd = open("/dev/null", O_RDONLY);

		setpgid(0, 0);	/* the kill at the deadline takes QEMU's helpers too */
		if (nfd >= 0)
			dup2(nfd, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(qemu, argv);
		dprintf(2, "probekit-verify: cannot run '%s': %s\n", qemu, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	deadline = t0 + timeout * 1000;

	while (!eof) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		double t = pk_now_ms(), until = grace_until ? grace_until : deadline;
		int ms = (int)(until - t) + 1;
		ssize_t n;

		if (t >= until) {
			timed_out = !grace_until;
			break;
		}
		if (accel == PK_VM_ACCEL_KVM && !saw_linux && t - t0 > stall * 1000) {
			stalled = true;
			break;
		}
		if (ms > 200)
			ms = 200;
		if (poll(&pf, 1, ms) <= 0)
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			break;
		}
		if (cfd >= 0 && write(cfd, buf, n) != n) {
			close(cfd);	/* disk full: keep going without the file */
			cfd = -1;
		}
		if (clen + n + 1 > ccap && clen + n < CONSOLE_MAX) {
			size_t nc = (clen + n + 1) * 2;
			char *c2 = realloc(con, nc);

			if (c2) {
				con = c2;
				ccap = nc;
			}
		}
		if (clen + n + 1 <= ccap) {
			memcpy(con + clen, buf, n);
			clen += n;
			con[clen] = 0;
		}
		/* scan new complete lines for the verdict, a panic, the first kernel line */
		while (con && scanned < clen) {
			char *nl = memchr(con + scanned, '\n', clen - scanned);
			size_t ll;

			if (!nl)
				break;
			ll = nl - (con + scanned);
			if (!saw_linux && memmem(con + scanned, ll, "Linux version", 13))
				saw_linux = true;
			if (!grace_until && nonce &&
			    pk_console__match_marker(con + scanned, ll, "PKV-END-", nonce, NULL)) {
				r->verdict_s = (pk_now_ms() - t0) / 1000;
				grace_until = pk_now_ms() + GRACE_MS;
			}
			if (!grace_until && memmem(con + scanned, ll, "Kernel panic - not syncing", 26))
				grace_until = pk_now_ms() + GRACE_MS;
			scanned = nl + 1 - con;
		}
	}
	if (!eof) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	r->wall_s = (pk_now_ms() - t0) / 1000;
	r->qemu_status = status;
	r->outcome = PK_VM_EXITED;
	pk_console__parse(con ? con : "", clen, nonce ? nonce : "", r);
	if (r->outcome == PK_VM_VERDICT || r->outcome == PK_VM_PANIC) {
		/* the console said it all */
	} else if (stalled) {
		r->outcome = PK_VM_KVM_STALL;
		pk_error__set(&r->err, -ETIMEDOUT,
			      "KVM: no kernel output within %gs (nested virtualization?)", stall);
	} else if (timed_out) {
		r->outcome = PK_VM_TIMEOUT;
		pk_error__set(&r->err, -ETIMEDOUT, "no verdict within %gs (%s); QEMU killed",
			      timeout, saw_linux ? "kernel booted" : "no kernel output");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !saw_linux) {
		r->outcome = PK_VM_LAUNCH_FAILED;
		pk_error__set(&r->err, -ENOENT, "cannot run '%s'", qemu);
	} else {
		char last[200] = "";
		const char *t = r->tail + strlen(r->tail);

		/* the last non-empty console line says most */
		while (t > r->tail && (t[-1] == '\n' || t[-1] == ' '))
			t--;
		const char *b = t;

		while (b > r->tail && b[-1] != '\n')
			b--;
		snprintf(last, sizeof(last), "%.*s", (int)(t - b), b);
		if (WIFEXITED(status))
			pk_error__set(&r->err, -EIO, "QEMU exited (status %d) without a verdict%s%s",
				      WEXITSTATUS(status), *last ? ": " : "", last);
		else
			pk_error__set(&r->err, -EIO, "QEMU killed by signal %d without a verdict",
				      WTERMSIG(status));
	}
	free(con);
	if (cfd >= 0)
		close(cfd);
	return 0;

launch_failed:
	pk_error__set(&r->err, err, "cannot start QEMU: %s", strerror(-err));
	r->outcome = PK_VM_LAUNCH_FAILED;
	if (cfd >= 0)
		close(cfd);
	return err;
}

