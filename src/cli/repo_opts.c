/* The agent's repository and host options (repo_opts.h), parsed in one place for
 * run, selftest, detect and fetch, and turned into a fetcher and the chain's
 * repository candidates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/child.h"

#include "agent/chain.h"
#include "agent/repo_key.h"
#include "build/probe_source.h"
#include "cli.h"
#include "cli/repo_opts.h"
#include "common/pk.h"
#include "fetch/cache.h"

/* The key the agent trusts when none is given: set at build time with
 * `make REPO_PUBKEY=FILE` (the public key file's second line). None by default:
 * a repository is then trusted only through --repo-key or PROBEKIT_REPO_KEY. */
#ifndef PK_BUILTIN_REPO_KEY
#define PK_BUILTIN_REPO_KEY ""
#endif

const char pk_cli_repo_help[] =
	"repository (docs/agent.md, \"Repositories\"):\n"
	"  --repo URL            a signed probe repository: http(s)://, file:// or a\n"
	"                        directory; repeatable, tried in order (env PROBEKIT_REPOS,\n"
	"                        separated by spaces, commas or ';')\n"
	"  --repo-key FILE       the minisign public key its index must be signed with\n"
	"                        (env PROBEKIT_REPO_KEY; default the key built in, if any)\n"
	"  --cache DIR           verified downloads and indexes (env PROBEKIT_CACHE,\n"
	"                        default " PK_CACHE_DIR_DEFAULT ")\n"
	"  --offline             the cache alone, nothing downloaded (env PROBEKIT_OFFLINE=1)\n"
	"  --allow-expired       accept an expired index: a mirror kept old on purpose\n"
	"                        (env PROBEKIT_ALLOW_EXPIRED=1)\n"
	"  --require-verified    only artifacts the VM verification marked verified\n"
	"                        (env PROBEKIT_REQUIRE_VERIFIED=1)\n"
	"  --ca-file FILE        CA bundle for https (env PROBEKIT_CA_FILE); proxies from\n"
	"                        HTTPS_PROXY, HTTP_PROXY, NO_PROXY\n"
	"  --connect-timeout S   per connection (default 5), --fetch-timeout S per request\n"
	"                        (default 30), --retries N on 5xx, reset, timeout (default 2)\n"
	"  --index-max-age D     a cached index younger than D serves without asking the\n"
	"                        repository (verified again; a file it lacks makes the\n"
	"                        agent ask); 0 asks at every start (default 1h; env\n"
	"                        PROBEKIT_INDEX_MAX_AGE)\n"
	"  --probe-dir DIR       legacy objects named as the repository names them\n"
	"                        (probekit_<target>_<kernelrelease>_<kernelversion>.o;\n"
	"                        env PROBEKIT_PROBE_DIR; trusted like --probe)\n"
	"  --download-probe      try the repository's CO-RE object for this probe version\n"
	"                        before the embedded one (env PROBEKIT_DOWNLOAD_PROBE=1)\n"
	"  --candidates LIST     (run, selftest, detect) try only these candidates\n"
	"                        (comma-separated; the others are shown as skipped):\n"
	"                        explicit, repo-core, embedded-btf, embedded-core+btf-file,\n"
	"                        embedded-core, embedded-core+reduced-btf, repo-reduced-btf,\n"
	"                        repo-legacy, cache-legacy (env PROBEKIT_CANDIDATES; default all)\n";

const char pk_cli_host_help[] =
	"another host (an agent in a container, or a host described from outside):\n"
	"  --host-root DIR       read etc/os-release and the other files falcoctl reads\n"
	"                        under DIR (env HOST_ROOT)\n"
	"  --uname-r R, --uname-v V, --uname-m M   that host's uname -r, -v, -m\n";

bool pk_cli__env_on(const char *name)
{
	const char *v = getenv(name);

	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

const char *pk_cli__env_str(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

void pk_cli_repo__init(struct pk_cli_repo *o)
{
	memset(o, 0, sizeof(*o));
	o->key_path = pk_cli__env_str("PROBEKIT_REPO_KEY");
	o->key_origin = "PROBEKIT_REPO_KEY";
	o->cache_dir = pk_cli__env_str("PROBEKIT_CACHE");
	o->offline = pk_cli__env_on("PROBEKIT_OFFLINE");
	o->allow_expired = pk_cli__env_on("PROBEKIT_ALLOW_EXPIRED");
	o->require_verified = pk_cli__env_on("PROBEKIT_REQUIRE_VERIFIED");
	o->download_probe = pk_cli__env_on("PROBEKIT_DOWNLOAD_PROBE");
	o->ca_file = pk_cli__env_str("PROBEKIT_CA_FILE");
	o->probe_dir = pk_cli__env_str("PROBEKIT_PROBE_DIR");
	o->host_root = pk_cli__env_str("HOST_ROOT");
	o->candidates = pk_cli__env_str("PROBEKIT_CANDIDATES");
	o->candidates_origin = "PROBEKIT_CANDIDATES";
	if (pk_cli__env_str("PROBEKIT_INDEX_MAX_AGE")) {
		const char *v = getenv("PROBEKIT_INDEX_MAX_AGE");

		o->index_max_age = !strcmp(v, "0") ? -1 : pk_cli__parse_duration(v);
		if (o->index_max_age == -1 && strcmp(v, "0")) {
			pk_note("warning: PROBEKIT_INDEX_MAX_AGE='%s' is not a duration (0, 30s, 10m, 1h, "
				"7d); the default (1h) holds", v);
			o->index_max_age = 0;
		}
	}
	if (pk_cli__env_str("PROBEKIT_REPOS")) {
		o->repos_env = strdup(getenv("PROBEKIT_REPOS"));
		for (char *save = NULL, *t = o->repos_env ? strtok_r(o->repos_env, " \t\n,;", &save) : NULL;
		     t && o->nr_repos < PK_CLI_REPOS_MAX; t = strtok_r(NULL, " \t\n,;", &save))
			o->repos[o->nr_repos++] = t;
	}
}

static int seconds_ms(const char *arg, long *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(arg, &end);
	if (errno || *end || end == arg || !(d > 0) || d > 3600)
		return -EINVAL;
	*out = (long)(d * 1000);
	return *out > 0 ? 0 : -EINVAL;
}

int pk_cli_repo__opt(struct pk_cli_repo *o, int opt, const char *arg, const char *cmd)
{
	char *end;
	long v;

	switch (opt) {
	case PK_CLI_OPT_REPO:
		if (!o->repos_given) {
			o->nr_repos = 0;	/* the command line replaces PROBEKIT_REPOS */
			o->repos_given = true;
		}
		if (!*arg)
			return pk_usage_err(cmd, "--repo needs a URL or a directory");
		if (o->nr_repos >= PK_CLI_REPOS_MAX)
			return pk_usage_err(cmd, "at most %d repositories", PK_CLI_REPOS_MAX);
		o->repos[o->nr_repos++] = arg;
		return 1;
	case PK_CLI_OPT_REPO_KEY: o->key_path = arg; o->key_origin = "--repo-key"; return 1;
	case PK_CLI_OPT_CACHE: o->cache_dir = arg; return 1;
	case PK_CLI_OPT_OFFLINE: o->offline = true; return 1;
	case PK_CLI_OPT_REPO_ALLOW_EXPIRED: o->allow_expired = true; return 1;
	case PK_CLI_OPT_REQUIRE_VERIFIED: o->require_verified = true; return 1;
	case PK_CLI_OPT_CA_FILE: o->ca_file = arg; return 1;
	case PK_CLI_OPT_CANDIDATES: o->candidates = arg; o->candidates_origin = "--candidates"; return 1;
	case PK_CLI_OPT_CONNECT_TIMEOUT:
		if (seconds_ms(arg, &o->connect_timeout_ms))
			return pk_usage_err(cmd, "invalid --connect-timeout '%s' (seconds, up to 3600)", arg);
		return 1;
	case PK_CLI_OPT_FETCH_TIMEOUT:
		if (seconds_ms(arg, &o->timeout_ms))
			return pk_usage_err(cmd, "invalid --fetch-timeout '%s' (seconds, up to 3600)", arg);
		return 1;
	case PK_CLI_OPT_RETRIES:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 0 || v > 10)
			return pk_usage_err(cmd, "invalid --retries '%s' (0 to 10)", arg);
		o->retries = v ? (int)v : -1;
		return 1;
	case PK_CLI_OPT_INDEX_MAX_AGE:
		o->index_max_age = !strcmp(arg, "0") ? -1 : pk_cli__parse_duration(arg);
		if (o->index_max_age == -1 && strcmp(arg, "0"))
			return pk_usage_err(cmd, "invalid --index-max-age '%s' (0, or 30s, 10m, 1h, 7d)", arg);
		return 1;
	case PK_CLI_OPT_PROBE_DIR: o->probe_dir = arg; return 1;
	case PK_CLI_OPT_DOWNLOAD_PROBE: o->download_probe = true; return 1;
	case PK_CLI_OPT_HOST_ROOT: o->host_root = arg; return 1;
	case PK_CLI_OPT_UNAME_R: o->uname_r = arg; return 1;
	case PK_CLI_OPT_UNAME_V: o->uname_v = arg; return 1;
	case PK_CLI_OPT_UNAME_M: o->uname_m = arg; return 1;
	}
	return 0;
}

void pk_cli_repo__host_opts(const struct pk_cli_repo *o, struct pk_host_opts *ho)
{
	ho->os_root = o->host_root;
	ho->uname_r = o->uname_r;
	ho->uname_v = o->uname_v;
	ho->machine = o->uname_m;
}

/* this host's paths in the repository layout (agent/repo_key.h) */
static void host_paths(struct pk_cli_repo *o, const struct pk_host *h)
{
	struct pk_repo_source *s = &o->source;
	struct pk_error *err = &o->key_names_err;

	pk_repo_key__from_host(h, o->probe_version, &o->key_names, err);
	snprintf(s->legacy_path, sizeof(s->legacy_path), "%s", o->key_names.legacy_object);
	snprintf(s->reduced_btf_path, sizeof(s->reduced_btf_path), "%s", o->key_names.reduced_btf);
	snprintf(s->core_path, sizeof(s->core_path), "%s", o->key_names.core_object);
	snprintf(s->legacy_alt_path, sizeof(s->legacy_alt_path), "%s", o->key_names.legacy_object_alt);
	if (!s->legacy_path[0])
		snprintf(s->no_legacy_why, sizeof(s->no_legacy_why), "no legacy object can be named for this host: %s",
			 err->msg[0] ? err->msg : "no target id");
	if (!s->reduced_btf_path[0])
		snprintf(s->no_btf_why, sizeof(s->no_btf_why), "no reduced BTF can be named for this host: %s",
			 err->msg[0] ? err->msg : "no os-release ID and VERSION_ID");
}

/* the repository options again, for the child (the repositories go through its
 * environment, PROBEKIT_REPOS: a URL may carry credentials, and /proc/PID/cmdline
 * is anyone's to read, environ only the owner's) */
static int child_argv(const struct pk_cli_repo *o, const char **argv, int max, char bufs[][32])
{
	int n = 0, b = 0;

#define ADD(s) do { if (n >= max - 1) return -E2BIG; argv[n++] = (s); } while (0)
	ADD("/proc/self/exe");
	ADD("__fetch-one");
	if (o->key_path) {
		ADD("--repo-key");
		ADD(o->key_path);
	}
	if (o->cache_dir) {
		ADD("--cache");
		ADD(o->cache_dir);
	}
	if (o->allow_expired)
		ADD("--allow-expired");
	if (o->require_verified)
		ADD("--require-verified");
	if (o->ca_file) {
		ADD("--ca-file");
		ADD(o->ca_file);
	}
	if (o->connect_timeout_ms) {
		snprintf(bufs[b], 32, "%.3f", o->connect_timeout_ms / 1000.0);
		ADD("--connect-timeout");
		ADD(bufs[b++]);
	}
	if (o->timeout_ms) {
		snprintf(bufs[b], 32, "%.3f", o->timeout_ms / 1000.0);
		ADD("--fetch-timeout");
		ADD(bufs[b++]);
	}
	if (o->retries) {
		snprintf(bufs[b], 32, "%d", o->retries < 0 ? 0 : o->retries);
		ADD("--retries");
		ADD(bufs[b++]);
	}
	if (o->index_max_age) {
		snprintf(bufs[b], 32, "%lld", o->index_max_age < 0 ? 0LL : (long long)o->index_max_age);
		ADD("--index-max-age");
		ADD(bufs[b++]);
	}
#undef ADD
	argv[n] = NULL;
	return n;
}

static const struct pk_cli_fetch_dead *dead_repo(const struct pk_cli_repo *o, const char *url)
{
	for (int i = 0; i < o->nr_dead; i++)
		if (!strcmp(o->dead[i].url, url))
			return &o->dead[i];
	return NULL;
}

/* the child's time limit: every live repository's index pair and one object, each
 * request with all its retries, and a margin; libcurl's own timeouts come first */
static long child_deadline_ms(const struct pk_cli_repo *o, int live)
{
	long per = (o->timeout_ms ?: 30000) + (o->connect_timeout_ms ?: 5000);
	int tries = (o->retries < 0 ? 0 : o->retries ?: 2) + 1;

	return 3L * live * (per * tries + 1000L * tries) + 10000;
}

/*
 * pk_fetcher_remote_fn: `probekit __fetch-one` does the get, into the same cache,
 * and writes its record into a memfd it inherits. Repositories that failed
 * outright in an earlier child are not asked again this run; their failure is
 * said once more in this candidate's attempts.
 */
static int remote_get(void *ctx, const char *path, const char *kind, bool configured,
		      uint64_t *size, struct pk_cand_source *src, struct pk_error *err)
{
	struct pk_cli_repo *o = ctx;
	const char *argv[48];
	char bufs[4][32], fdarg[16], *repos = NULL, *text = NULL;
	struct pk_cli_fetch_result *res = NULL;
	size_t rlen = 0;
	FILE *rf;
	int n, fd = -1, st, live = 0, rc;

	(void)configured;
	/* the live repositories, in order, for the child's environment */
	rf = open_memstream(&repos, &rlen);
	if (!rf)
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < pk_fetcher__nr_repos(o->fetcher); i++) {
		const char *u = pk_fetcher__repo(o->fetcher, i);
		const struct pk_cli_fetch_dead *d = dead_repo(o, u);
		char idx_url[4096];

		if (!pk_fetcher__configured(o->fetcher, i))
			continue;
		if (d) {
			if (src->nr_attempts < PK_CAND_MAX_ATTEMPTS) {
				struct pk_cand_attempt *a = &src->attempts[src->nr_attempts++];

				memset(a, 0, sizeof(*a));
				pk_strlcpy(a->where, u, sizeof(a->where));
				if (!pk_fetcher__url(o->fetcher, i, "index.json", idx_url, sizeof(idx_url)))
					pk_strlcpy(a->url, idx_url, sizeof(a->url));
				pk_strlcpy(a->outcome, d->outcome, sizeof(a->outcome));
				a->code = d->code;
				snprintf(a->reason, sizeof(a->reason), "not asked again: %.340s", d->reason);
			} else {
				src->dropped++;
			}
			continue;
		}
		fprintf(rf, "%s%s", live++ ? " " : "", u);
	}
	fclose(rf);
	if (!live) {
		free(repos);
		return pk_error__set(err, -ENOENT, "%s: every repository failed earlier in this run", path);
	}
	n = child_argv(o, argv, (int)PK_ARRAY_SIZE(argv) - 8, bufs);
	if (n >= 0) {
		fd = memfd_create("probekit-fetch-result", MFD_CLOEXEC);
		if (fd < 0)
			n = -errno;
	}
	if (n < 0) {
		free(repos);
		return pk_error__set(err, n, "cannot start the fetch process: %s", strerror(-n));
	}
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	argv[n++] = "--path";
	argv[n++] = path;
	argv[n++] = "--kind";
	argv[n++] = kind;
	argv[n++] = "--result-fd";
	argv[n++] = fdarg;
	argv[n] = NULL;
	setenv("PROBEKIT_REPOS", repos, 1);
	free(repos);
	{
		PK_CHILD_OPTS(co, .out = "/dev/null", .pass_fd = fd,
			      .timeout_ms = child_deadline_ms(o, live), .stop = o->stop);

		st = pk_child__run_opts((char *const *)argv, &co, &text);
	}
	res = calloc(1, sizeof(*res));
	rc = res ? 0 : -ENOMEM;
	if (!rc && (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) ||
		    pread(fd, res, sizeof(*res), 0) != (ssize_t)sizeof(*res) ||
		    res->magic != PK_CLI_FETCH_RESULT_MAGIC)) {
		char *last = text ? text + strlen(text) : NULL;

		/* the child's last line says why */
		while (last && last > text && last[-1] == '\n')
			*--last = 0;
		while (last && last > text && last[-1] != '\n')
			last--;
		rc = pk_error__set(err, st == -ETIMEDOUT ? -ETIMEDOUT : st == -EINTR ? -EINTR : -EIO,
				   "the fetch process %s%s%s",
				   st == -ETIMEDOUT ? "ran out of time and was stopped" :
				   st == -EINTR ? "was stopped" : "failed",
				   last && *last ? ": " : "", last ? last : "");
	}
	close(fd);
	free(text);
	if (rc) {
		free(res);
		return rc;
	}
	res->err.msg[sizeof(res->err.msg) - 1] = 0;
	if (res->nr_dead < 0 || res->nr_dead > PK_CLI_REPOS_MAX)
		res->nr_dead = 0;
	for (int i = 0; i < res->nr_dead && o->nr_dead < PK_CLI_REPOS_MAX; i++) {
		res->dead[i].url[sizeof(res->dead[i].url) - 1] = 0;
		res->dead[i].outcome[sizeof(res->dead[i].outcome) - 1] = 0;
		res->dead[i].reason[sizeof(res->dead[i].reason) - 1] = 0;
		if (!dead_repo(o, res->dead[i].url))
			o->dead[o->nr_dead++] = res->dead[i];
	}
	/* the child's account: its attempts after any said here, and what served */
	for (int i = 0; i < res->src.nr_attempts && i < PK_CAND_MAX_ATTEMPTS; i++) {
		if (src->nr_attempts < PK_CAND_MAX_ATTEMPTS)
			src->attempts[src->nr_attempts++] = res->src.attempts[i];
		else
			src->dropped++;
	}
	src->dropped += res->src.dropped;
	res->src.where[sizeof(res->src.where) - 1] = res->src.url[sizeof(res->src.url) - 1] = 0;
	res->src.sha256[sizeof(res->src.sha256) - 1] = res->src.cache[sizeof(res->src.cache) - 1] = 0;
	pk_strlcpy(src->where, res->src.where, sizeof(src->where));
	pk_strlcpy(src->url, res->src.url, sizeof(src->url));
	pk_strlcpy(src->sha256, res->src.sha256, sizeof(src->sha256));
	pk_strlcpy(src->cache, res->src.cache, sizeof(src->cache));
	src->index_version = res->src.index_version;
	src->from_cache = res->src.from_cache;
	*size = res->size;
	if (res->rc) {
		*err = res->err;
		rc = res->rc < 0 ? res->rc : -EIO;
	}
	free(res);
	return rc;
}

int pk_cli_repo__setup(struct pk_cli_repo *o, const struct pk_host *h, const char *cmd)
{
	struct pk_error err = { 0 };
	struct stat st;
	char cached[4200];
	int r;

	if (pk_probe_source__version(o->probe_version)) {
		pk_err("%s: cannot compute this agent's probe version", cmd);
		return PK_EXIT_ERROR;
	}
	if (o->candidates) {	/* from the command line or the environment: checked here */
		char bad[64];

		if (pk_chain__check_names(o->candidates, bad, sizeof(bad)))
			return pk_usage_err(cmd, "unknown candidate '%s' in %s", bad, o->candidates_origin);
	}
	if (o->key_path) {
		r = pk_minisign_pubkey__load(&o->key, o->key_path, &err);
		if (r && !o->agent) {
			pk_err("%s: %s", o->key_origin, pk_error__str(&err));
			return PK_EXIT_ERROR;
		}
		if (r) {
			/* the embedded candidates still run; the repository ones say why not */
			snprintf(o->key_error, sizeof(o->key_error), "%s: %s", o->key_origin, pk_error__str(&err));
			pk_note("warning: %s; repositories are not trusted in this run", o->key_error);
		} else {
			o->have_key = true;
			snprintf(o->key_desc, sizeof(o->key_desc), "%s %s", o->key_origin, o->key_path);
		}
	} else if (PK_BUILTIN_REPO_KEY[0]) {
		r = pk_minisign_pubkey__parse(&o->key, PK_BUILTIN_REPO_KEY, strlen(PK_BUILTIN_REPO_KEY), &err);
		if (r) {
			pk_err("%s: the built-in repository key: %s", cmd, pk_error__str(&err));
			return PK_EXIT_ERROR;
		}
		o->have_key = true;
		snprintf(o->key_desc, sizeof(o->key_desc), "built in");
	}
	if (h)
		host_paths(o, h);
	o->source.have_repos = o->nr_repos > 0;
	o->source.download_probe = o->download_probe;
	o->source.probe_dir = o->probe_dir;

	/* a fetcher when there is something to fetch from: a repository, or a
	 * cache that already holds indexes (nothing is created otherwise) */
	snprintf(cached, sizeof(cached), "%s/agent/repos", o->cache_dir ? o->cache_dir : PK_CACHE_DIR_DEFAULT);
	if (o->nr_repos || !stat(cached, &st)) {
		PK_FETCHER_OPTS(fo, .repos = o->repos, .nr_repos = o->nr_repos,
				.key = o->have_key ? &o->key : NULL, .key_origin = o->key_desc,
				.no_key_reason = o->key_error[0] ? o->key_error : NULL,
				.cache_dir = o->cache_dir, .offline = o->offline,
				.allow_expired = o->allow_expired, .require_verified = o->require_verified,
				.cached_repos = true, .ca_file = o->ca_file,
				.connect_timeout_ms = o->connect_timeout_ms, .timeout_ms = o->timeout_ms,
				.retries = o->retries,
				.index_max_age = o->index_max_age < -1 ? 0 : o->index_max_age,
				.remote = o->agent ? remote_get : NULL, .remote_ctx = o);

		r = pk_fetcher__new(&fo, &o->fetcher, &err);
		if (r) {
			pk_err("%s: %s", cmd, pk_error__str(&err));
			return PK_EXIT_ERROR;
		}
	}
	o->source.fetcher = o->fetcher;
	return 0;
}

void pk_cli_repo__free(struct pk_cli_repo *o)
{
	pk_fetcher__free(o->fetcher);
	o->fetcher = NULL;
	free(o->repos_env);
	o->repos_env = NULL;
}
