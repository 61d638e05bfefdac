/* Command front-ends: one file per command, dispatched from main.c's table.
 * Every error is reported the same way:
 *   probekit: error: cannot open 'x.btf': No such file or directory          */
#ifndef PK_CLI_H
#define PK_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* exit codes, documented in docs/agent.md ("Commands and exit codes") */
#define PK_EXIT_OK 0
#define PK_EXIT_FAIL 1		/* the command ran and the answer is "no" (selftest failed, nothing loaded) */
#define PK_EXIT_USAGE 2		/* bad command line */
#define PK_EXIT_ERROR 3		/* could not do the job: I/O, privileges, bad input */
#define PK_EXIT_OUTPUT 4	/* run: events were lost because writing them failed */

struct pk_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command name */
	const char *summary;
};

extern bool pk_verbose;		/* read it; set it with pk_cli__set_verbose */
/* -v: the library's and libbpf's diagnostics on stderr (libbpf's router follows) */
void pk_cli__set_verbose(bool on);

void pk_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pk_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* "probekit: ..." on stderr */
/* "probekit: error: unknown option '--x' (see 'probekit CMD --help')", returns PK_EXIT_USAGE */
int pk_usage_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "7d", "12h", "30m", "3600" or "3600s" -> seconds (1 s to 10 years); -1 when bad */
int64_t pk_cli__parse_duration(const char *s);
/* run a sub-table: argv[0] is the parent command, argv[1] the subcommand */
int pk_dispatch(const char *parent, const struct pk_cmd *table, int argc, char **argv);

int cmd_detect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_btf(int argc, char **argv);		/* btf extract|min|pack|ls|get */
int cmd_btf_min(int argc, char **argv);		/* btf min */
int cmd_canary(int argc, char **argv);		/* internal: the self-check's canary */
int cmd_verify(int argc, char **argv);		/* boot kernels under QEMU, selftest inside */
int cmd_kernels(int argc, char **argv);		/* the catalog of every distribution's kernels */
int cmd_build(int argc, char **argv);		/* one kernel's legacy object, reduced and full BTF */
int cmd_repo(int argc, char **argv);		/* repo index|verify|ls|keygen|sign|verify-sig|mirror */
int cmd_repo_keygen(int argc, char **argv);	/* repo keygen */
int cmd_repo_sign(int argc, char **argv);		/* repo sign */
int cmd_repo_verify_sig(int argc, char **argv);	/* repo verify-sig */
int cmd_repo_mirror(int argc, char **argv);	/* repo mirror */
int cmd_farm(int argc, char **argv);		/* crawl, build what is missing, index, sign */
int cmd_fetch(int argc, char **argv);		/* this host's files from the repositories into the cache */
int cmd_fetch_one(int argc, char **argv);	/* internal: one download for run/selftest, in a child */

#endif
