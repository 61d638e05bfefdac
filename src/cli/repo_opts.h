/* The agent's repository options that `run`, `selftest`, `detect` and `fetch`
 * share (--repo, --repo-key, --cache, --offline, --allow-expired,
 * --require-verified, --ca-file, timeouts, --probe-dir) and the host options of
 * `detect` and `fetch` (--host-root, --uname-r, --uname-v, --uname-m), with their
 * environment defaults: parsed in one place, turned into a fetcher and the
 * chain's repository candidates. */
#ifndef PK_CLI_REPO_OPTS_H
#define PK_CLI_REPO_OPTS_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "agent/host.h"
#include "agent/repo_key.h"
#include "fetch/fetcher.h"
#include "fetch/repo_source.h"
#include "repo/minisign.h"

#define PK_CLI_REPOS_MAX 16

enum {
	PK_CLI_OPT_REPO = 0x300,
	PK_CLI_OPT_REPO_KEY,
	PK_CLI_OPT_CACHE,
	PK_CLI_OPT_OFFLINE,
	PK_CLI_OPT_REPO_ALLOW_EXPIRED,
	PK_CLI_OPT_REQUIRE_VERIFIED,
	PK_CLI_OPT_CA_FILE,
	PK_CLI_OPT_CONNECT_TIMEOUT,
	PK_CLI_OPT_FETCH_TIMEOUT,
	PK_CLI_OPT_RETRIES,
	PK_CLI_OPT_PROBE_DIR,
	PK_CLI_OPT_DOWNLOAD_PROBE,
	PK_CLI_OPT_INDEX_MAX_AGE,
	PK_CLI_OPT_CANDIDATES,
	PK_CLI_OPT_HOST_ROOT,
	PK_CLI_OPT_UNAME_R,
	PK_CLI_OPT_UNAME_V,
	PK_CLI_OPT_UNAME_M,
};

#define PK_CLI_REPO_LONGOPTS                                                             \
	{ "repo", required_argument, NULL, PK_CLI_OPT_REPO },                             \
	{ "repo-key", required_argument, NULL, PK_CLI_OPT_REPO_KEY },                     \
	{ "cache", required_argument, NULL, PK_CLI_OPT_CACHE },                           \
	{ "offline", no_argument, NULL, PK_CLI_OPT_OFFLINE },                             \
	{ "allow-expired", no_argument, NULL, PK_CLI_OPT_REPO_ALLOW_EXPIRED },            \
	{ "require-verified", no_argument, NULL, PK_CLI_OPT_REQUIRE_VERIFIED },           \
	{ "ca-file", required_argument, NULL, PK_CLI_OPT_CA_FILE },                       \
	{ "connect-timeout", required_argument, NULL, PK_CLI_OPT_CONNECT_TIMEOUT },       \
	{ "fetch-timeout", required_argument, NULL, PK_CLI_OPT_FETCH_TIMEOUT },           \
	{ "retries", required_argument, NULL, PK_CLI_OPT_RETRIES },                       \
	{ "probe-dir", required_argument, NULL, PK_CLI_OPT_PROBE_DIR },                   \
	{ "download-probe", no_argument, NULL, PK_CLI_OPT_DOWNLOAD_PROBE },             \
	{ "index-max-age", required_argument, NULL, PK_CLI_OPT_INDEX_MAX_AGE },            \
	{ "candidates", required_argument, NULL, PK_CLI_OPT_CANDIDATES }

#define PK_CLI_HOST_LONGOPTS                                                             \
	{ "host-root", required_argument, NULL, PK_CLI_OPT_HOST_ROOT },                   \
	{ "uname-r", required_argument, NULL, PK_CLI_OPT_UNAME_R },                       \
	{ "uname-v", required_argument, NULL, PK_CLI_OPT_UNAME_V },                       \
	{ "uname-m", required_argument, NULL, PK_CLI_OPT_UNAME_M }

/* the environment's conventions: "1", "true", "yes" turn a switch on; an empty
 * value is no value */
bool pk_cli__env_on(const char *name);
const char *pk_cli__env_str(const char *name);

/* what --help says about them */
extern const char pk_cli_repo_help[];
extern const char pk_cli_host_help[];

/*
 * The agent's downloads run in a child process (`probekit __fetch-one`, the same
 * binary): libcurl with its TLS stack and the parse of a whole index are the
 * child's, so the agent's own memory stays that of an agent served from its cache.
 * The child writes this record to the file it is given.
 */
#define PK_CLI_FETCH_RESULT_MAGIC 0x706b6632u	/* "pkf2" */
struct pk_cli_fetch_dead {			/* a repository that failed outright */
	char url[768];
	char outcome[16];
	int32_t code;
	char reason[384];
};
struct pk_cli_fetch_result {
	uint32_t magic;
	int32_t rc;
	uint64_t size;
	struct pk_error err;
	struct pk_cand_source src;
	int32_t nr_dead;
	struct pk_cli_fetch_dead dead[PK_CLI_REPOS_MAX];
};

struct pk_cli_repo {
	const char *repos[PK_CLI_REPOS_MAX];
	size_t nr_repos;
	bool repos_given;		/* --repo on the command line: PROBEKIT_REPOS ignored */
	char *repos_env;		/* PROBEKIT_REPOS, split in place */
	const char *key_path, *key_origin;
	const char *cache_dir;
	bool offline, allow_expired, require_verified, download_probe;
	const char *ca_file;
	long connect_timeout_ms, timeout_ms;
	int retries;
	int64_t index_max_age;		/* seconds; -1: ask at every start; 0: default */
	const char *probe_dir;
	const char *candidates;		/* --candidates / PROBEKIT_CANDIDATES, or NULL; checked by
					 * pk_cli_repo__setup */
	const char *candidates_origin;	/* which of the two, for messages */
	/* host options (detect, fetch) */
	const char *host_root, *uname_r, *uname_v, *uname_m;
	/* made by pk_cli_repo__setup */
	struct pk_minisign_pubkey key;
	bool have_key;
	char key_desc[300];
	struct pk_fetcher *fetcher;
	struct pk_repo_source source;
	struct pk_repo_key key_names;	/* falcoctl's names and the paths they make */
	struct pk_error key_names_err;	/* why some could not be made */
	const volatile sig_atomic_t *stop;	/* run's signal flag: a fetch child is killed */
	/* repositories that failed outright in a fetch child: not asked again this run */
	int nr_dead;
	struct pk_cli_fetch_dead dead[PK_CLI_REPOS_MAX];
	bool agent;			/* run, selftest: downloads run in a child process, and
					 * a key that cannot be read fails the repository
					 * candidates, not the agent */
	char key_error[PK_ERROR_MSG_LEN];
	char probe_version[32];
};

/* defaults from PROBEKIT_REPOS, PROBEKIT_REPO_KEY, PROBEKIT_CACHE, PROBEKIT_OFFLINE,
 * PROBEKIT_ALLOW_EXPIRED, PROBEKIT_REQUIRE_VERIFIED, PROBEKIT_CA_FILE,
 * PROBEKIT_PROBE_DIR, PROBEKIT_DOWNLOAD_PROBE, PROBEKIT_CANDIDATES, HOST_ROOT */
void pk_cli_repo__init(struct pk_cli_repo *o);
/* 1 when opt was one of these (taken), 0 when not; PK_EXIT_USAGE after reporting
 * a bad one for cmd */
int pk_cli_repo__opt(struct pk_cli_repo *o, int opt, const char *arg, const char *cmd);
/* the host options as pk_host__detect takes them */
void pk_cli_repo__host_opts(const struct pk_cli_repo *o, struct pk_host_opts *ho);
/* After the host is known: the pinned key, the fetcher, this host's paths in the
 * repository layout (h NULL: no paths, for the fetch child). PK_EXIT_ERROR after reporting (a key that cannot be read),
 * else 0. */
int pk_cli_repo__setup(struct pk_cli_repo *o, const struct pk_host *h, const char *cmd);
void pk_cli_repo__free(struct pk_cli_repo *o);

#endif
