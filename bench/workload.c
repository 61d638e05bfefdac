/* Fixed benchmark workloads for bench/run.sh: open/close, fork+exec, loopback TCP
 * connect+accept. Prints one machine-readable result line on stdout; it must not do
 * anything in the timed loop besides the operation being measured. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU the workload itself used (its children too): a tracer's in-kernel cost lands
 * here, and unlike ops/s it does not move when other tasks compete for the CPUs. */
static double cpu_s(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
	       kids.ru_stime.tv_sec + (self.ru_utime.tv_usec + self.ru_stime.tv_usec +
				       kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6;
}

static int do_open(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "workload: error: cannot open '/dev/null': %s\n", strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}

static int do_exec(long n)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };

	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "workload: error: fork: %s\n", strerror(errno));
			return -1;
		}
		if (pid == 0) {
			execve("/bin/true", argv, envp);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "workload: error: '/bin/true' failed (status %#x)\n", status);
			return -1;
		}
	}
	return 0;
}

/* Listener and client in one thread: a loopback connect completes the handshake in
 * the kernel, so accept() right after it never blocks. The client closes first. */
static int listen_fd = -1;
static struct sockaddr_in listen_addr;

static int connect_setup(void)
{
	socklen_t len = sizeof(listen_addr);
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -1;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&listen_addr, 0, sizeof(listen_addr));
	listen_addr.sin_family = AF_INET;
	listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listen_fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(listen_fd, 128) ||
	    getsockname(listen_fd, (struct sockaddr *)&listen_addr, &len))
		return -1;
	return 0;
}

static int do_connect(long n)
{
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), a;

		if (c < 0 || connect(c, (struct sockaddr *)&listen_addr, sizeof(listen_addr))) {
			fprintf(stderr, "workload: error: connect #%ld: %s\n", i, strerror(errno));
			return -1;
		}
		a = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0) {
			fprintf(stderr, "workload: error: accept #%ld: %s\n", i, strerror(errno));
			return -1;
		}
		close(c);
		close(a);
	}
	return 0;
}

int main(int argc, char **argv)
{
	double t0, c0, secs, cpu;
	char *end;
	long n;
	int err;

	if (argc != 3 || (n = strtol(argv[2], &end, 10)) <= 0 || *end) {
		fprintf(stderr, "usage: workload open|exec|connect N\n");
		return 2;
	}
	if (!strcmp(argv[1], "connect") && connect_setup()) {
		fprintf(stderr, "workload: error: cannot listen on loopback: %s\n", strerror(errno));
		return 1;
	}
	c0 = cpu_s();
	t0 = now_s();
	if (!strcmp(argv[1], "open"))
		err = do_open(n);
	else if (!strcmp(argv[1], "exec"))
		err = do_exec(n);
	else if (!strcmp(argv[1], "connect"))
		err = do_connect(n);
	else {
		fprintf(stderr, "workload: error: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	secs = now_s() - t0;
	cpu = cpu_s() - c0;
	if (err)
		return 1;
	printf("mode=%s n=%ld pid=%d port=%d secs=%.6f ops_per_s=%.1f cpu_us_per_op=%.3f\n", argv[1], n,
	       (int)getpid(), listen_fd >= 0 ? ntohs(listen_addr.sin_port) : 0, secs, n / secs,
	       cpu * 1e6 / n);
	return 0;
}
