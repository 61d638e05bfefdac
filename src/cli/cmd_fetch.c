/* `probekit fetch`: what an init container runs. Everything this host (or the host
 * under --host-root) would take from a repository is downloaded into the cache,
 * verified, and the command exits; `run --offline` then starts without network. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli/repo_opts.h"
#include "common/json.h"
#include "common/pk.h"
#include "fetch/fetcher.h"
#include "fetch/repo_source.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: probekit fetch --repo URL [--repo URL]... [OPTIONS]\n\n"
		"Download into the cache, verified, everything this host would take from the\n"
		"repositories: this kernel's reduced BTF and legacy object (and, with\n"
		"--download-probe, the CO-RE object of this agent's probe version). Then\n"
		"`probekit run --offline` starts from the cache alone. A file the repositories\n"
		"do not list is not an error: the agent then uses what it carries.\n\n"
		"options:\n"
		"  --json                one JSON object on stdout\n");
	fputs(pk_cli_repo_help, f);
	fputs(pk_cli_host_help, f);
	fprintf(f, "  -v, --verbose         diagnostics on stderr\n"
		"  -h, --help            this help\n\n"
		"exit codes: 0 everything listed for this host is in the cache, verified;\n"
		"            1 a listed file could not be fetched or verified, or no repository's\n"
		"            index verified; 2 usage; 3 error\n");
}

struct item {
	const char *kind;
	const char *path;
	int rc;
	struct pk_error err;
	struct pk_cand_source src;
	size_t len;
};

/* a miss (no repository lists it) is an answer, not a failure */
static bool only_misses(const struct pk_cand_source *s)
{
	for (int i = 0; i < s->nr_attempts; i++)
		if (strcmp(s->attempts[i].outcome, "not-listed"))
			return false;
	return true;
}

int cmd_fetch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		PK_CLI_REPO_LONGOPTS,
		PK_CLI_HOST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct pk_cli_repo ro;
	struct pk_host h;
	struct item items[3];
	size_t nr = 0;
	bool json = false, failed = false;
	struct pk_fetcher_stats st;
	double t0 = pk_now_ms();
	int c, r, rc = PK_EXIT_OK;

	pk_cli_repo__init(&ro);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v': pk_cli__set_verbose(true); break;
		case 'h': usage(stdout); pk_cli_repo__free(&ro); return PK_EXIT_OK;
		case ':':
			pk_cli_repo__free(&ro);
			return pk_usage_err("fetch", "option '%s' needs a value", argv[optind - 1]);
		case PK_CLI_OPT_CANDIDATES:	/* fetch gets files, it walks no chain */
			pk_cli_repo__free(&ro);
			return pk_usage_err("fetch", "--candidates is for run, selftest and detect");
		default: {
			int taken = c == '?' ? 0 : pk_cli_repo__opt(&ro, c, optarg, "fetch");

			if (taken == 1)
				break;
			pk_cli_repo__free(&ro);
			return taken ? taken : pk_usage_err("fetch", "unknown option '%s'", argv[optind - 1]);
		}
		}
	}
	if (optind < argc) {
		pk_cli_repo__free(&ro);
		return pk_usage_err("fetch", "unexpected argument '%s'", argv[optind]);
	}
	if (!ro.nr_repos) {
		pk_cli_repo__free(&ro);
		return pk_usage_err("fetch", "no repository: give --repo URL or PROBEKIT_REPOS");
	}
	if (ro.offline) {
		pk_cli_repo__free(&ro);
		return pk_usage_err("fetch", "--offline: fetch is what fills the cache");
	}
	{
		PK_HOST_OPTS(ho);

		pk_cli_repo__host_opts(&ro, &ho);
		r = pk_host__detect(&h, &ho);
	}
	if (r) {
		pk_err("cannot detect the host: %s", strerror(-r));
		pk_cli_repo__free(&ro);
		return PK_EXIT_ERROR;
	}
	rc = pk_cli_repo__setup(&ro, &h, "fetch");
	if (rc) {
		pk_cli_repo__free(&ro);
		return rc;
	}

	if (ro.source.reduced_btf_path[0])
		items[nr++] = (struct item){ .kind = "reduced-btf", .path = ro.source.reduced_btf_path };
	if (ro.source.legacy_path[0])
		items[nr++] = (struct item){ .kind = "legacy-object", .path = ro.source.legacy_path };
	if (ro.download_probe && ro.source.core_path[0])
		items[nr++] = (struct item){ .kind = "core-object", .path = ro.source.core_path };
	for (size_t i = 0; i < nr; i++) {
		void *data = NULL;

		/* the legacy object as the agent asks for it: falcoctl's name, then the farm's */
		if (!strcmp(items[i].kind, "legacy-object"))
			items[i].rc = pk_repo_source__get_legacy(&ro.source, true, &data, &items[i].len,
								 &items[i].src, &items[i].err);
		else
			items[i].rc = pk_fetcher__get(ro.fetcher, items[i].path, items[i].kind, true, &data,
						      &items[i].len, &items[i].src, &items[i].err);
		free(data);
		if (items[i].rc && !only_misses(&items[i].src))
			failed = true;
	}
	pk_fetcher__stats(ro.fetcher, &st);
	if (nr && !st.indexes_fetched && !st.indexes_cached)
		failed = true;	/* no repository's index verified: nothing was really asked */

	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "target", h.target_id);
		pk_json__kv_str(&j, "kernel_release", h.kernel_release);
		pk_json__kv_str(&j, "probe_version", ro.probe_version);
		pk_json__kv_str(&j, "legacy_object_error", ro.source.legacy_path[0] ? NULL : ro.source.no_legacy_why);
		pk_json__kv_str(&j, "reduced_btf_error", ro.source.reduced_btf_path[0] ? NULL : ro.source.no_btf_why);
		pk_json__key(&j, "files");
		pk_json__arr_begin(&j);
		for (size_t i = 0; i < nr; i++) {
			const struct pk_cand_source *s = &items[i].src;

			pk_json__obj_begin(&j);
			pk_json__kv_str(&j, "kind", items[i].kind);
			pk_json__kv_str(&j, "path", items[i].path);
			pk_json__kv_str(&j, "state", !items[i].rc ? "cached" :
					only_misses(s) ? "not-listed" : "failed");
			if (!items[i].rc) {
				pk_json__kv_str(&j, "repository", s->where);
				pk_json__kv_str(&j, "url", s->url);
				pk_json__kv_str(&j, "sha256", s->sha256);
				pk_json__kv_uint(&j, "size", items[i].len);
				pk_json__kv_str(&j, "cache_entry", s->cache);
				pk_json__kv_bool(&j, "downloaded", !s->from_cache);
			} else {
				pk_json__kv_str(&j, "error", pk_error__str(&items[i].err));
			}
			pk_json__key(&j, "attempts");
			pk_json__arr_begin(&j);
			for (int k = 0; k < s->nr_attempts; k++) {
				pk_json__obj_begin(&j);
				pk_json__kv_str(&j, "where", s->attempts[k].where);
				pk_json__kv_str(&j, "url", s->attempts[k].url);
				pk_json__kv_str(&j, "outcome", s->attempts[k].outcome);
				pk_json__kv_str(&j, "reason", s->attempts[k].reason);
				pk_json__obj_end(&j);
			}
			pk_json__arr_end(&j);
			pk_json__obj_end(&j);
		}
		pk_json__arr_end(&j);
		pk_json__key(&j, "stats");
		pk_json__obj_begin(&j);
		pk_json__kv_uint(&j, "indexes_fetched", st.indexes_fetched);
		pk_json__kv_uint(&j, "indexes_cached", st.indexes_cached);
		pk_json__kv_uint(&j, "objects_fetched", st.objects_fetched);
		pk_json__kv_uint(&j, "objects_cached", st.objects_cached);
		pk_json__kv_uint(&j, "bytes", st.bytes);
		pk_json__kv_uint(&j, "failures", st.failures);
		pk_json__kv_uint(&j, "verify_failures", st.verify_failures);
		pk_json__kv_double(&j, "seconds", (pk_now_ms() - t0) / 1000);
		pk_json__obj_end(&j);
		pk_json__kv_bool(&j, "ok", !failed);
		pk_json__obj_end(&j);
		if (!j.err)
			printf("%s\n", j.buf);
		else
			rc = PK_EXIT_ERROR;
		pk_json__free(&j);
	} else {
		if (!ro.source.legacy_path[0])
			printf("legacy-object: not looked up: %s\n", ro.source.no_legacy_why);
		if (!ro.source.reduced_btf_path[0])
			printf("reduced-btf: not looked up: %s\n", ro.source.no_btf_why);
		for (size_t i = 0; i < nr; i++) {
			const struct pk_cand_source *s = &items[i].src;

			if (!items[i].rc)
				printf("%s: %s %s (%zu bytes, SHA256 %s) from %s\n", items[i].kind,
				       s->from_cache ? "already cached" : "fetched", s->cache, items[i].len,
				       s->sha256, s->url);
			else
				printf("%s: %s: %s\n", items[i].kind, only_misses(s) ? "not listed" : "FAILED",
				       pk_error__str(&items[i].err));
		}
		if (!nr)
			printf("nothing to fetch: no file of the repository's layout can be named for this host\n");
		printf("%s: %llu index(es) fetched, %llu from the cache; %llu file(s) fetched (%llu bytes), "
		       "%llu already cached; %llu failure(s)\n", failed ? "FAILED" : "ok",
		       (unsigned long long)st.indexes_fetched, (unsigned long long)st.indexes_cached,
		       (unsigned long long)st.objects_fetched, (unsigned long long)st.bytes,
		       (unsigned long long)st.objects_cached, (unsigned long long)st.failures);
	}
	pk_cli_repo__free(&ro);
	if (rc)
		return rc;
	return failed ? PK_EXIT_FAIL : PK_EXIT_OK;
}

/*
 * `probekit __fetch-one --path P --kind K --result-fd N [repository options]`, the
 * repositories in PROBEKIT_REPOS: the child that run and selftest hand a download
 * to (cli/repo_opts.h). One get into the cache; its outcome, and the repositories
 * that failed outright, written to descriptor N (a memfd the parent made) as a
 * struct pk_cli_fetch_result. Exit 0 when the record was written, whatever the
 * get's outcome; 3 when it could not be.
 */
int cmd_fetch_one(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "kind", required_argument, NULL, 'k' },
		{ "result-fd", required_argument, NULL, 'o' },
		PK_CLI_REPO_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct pk_cli_fetch_result res;
	const char *path = NULL, *kind = NULL;
	struct pk_cli_repo ro;
	void *data = NULL;
	size_t len = 0;
	int c, rc, out = -1;

	pk_cli_repo__init(&ro);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'k': kind = optarg; break;
		case 'o': out = atoi(optarg); break;
		default:
			if (c != '?' && c != ':' && pk_cli_repo__opt(&ro, c, optarg, "__fetch-one") == 1)
				break;
			pk_cli_repo__free(&ro);
			return pk_usage_err("__fetch-one", "bad option '%s'", argv[optind - 1]);
		}
	}
	if (!path || !kind || out <= 2) {
		pk_cli_repo__free(&ro);
		return pk_usage_err("__fetch-one", "needs --path, --kind and --result-fd");
	}
	rc = pk_cli_repo__setup(&ro, NULL, "__fetch-one");
	if (!rc && !ro.fetcher)
		rc = PK_EXIT_ERROR;
	if (rc) {
		pk_cli_repo__free(&ro);
		return rc;
	}
	memset(&res, 0, sizeof(res));
	res.magic = PK_CLI_FETCH_RESULT_MAGIC;
	res.rc = pk_fetcher__get(ro.fetcher, path, kind, true, &data, &len, &res.src, &res.err);
	res.size = len;
	free(data);
	/* the repositories that could not serve at all: the agent asks them no more */
	for (size_t i = 0; i < pk_fetcher__nr_repos(ro.fetcher) && res.nr_dead < PK_CLI_REPOS_MAX; i++) {
		struct pk_cli_fetch_dead *d = &res.dead[res.nr_dead];
		struct pk_error e = { 0 };

		if (!pk_fetcher__configured(ro.fetcher, i) || !pk_fetcher__repo_failed(ro.fetcher, i, d->outcome,
											sizeof(d->outcome), &e))
			continue;
		pk_strlcpy(d->url, pk_fetcher__repo(ro.fetcher, i), sizeof(d->url));
		d->code = e.code;
		pk_strlcpy(d->reason, e.msg, sizeof(d->reason));
		res.nr_dead++;
	}
	pk_cli_repo__free(&ro);
	if (pwrite(out, &res, sizeof(res), 0) != (ssize_t)sizeof(res)) {
		pk_err("cannot write the result to descriptor %d: %s", out, strerror(errno));
		return PK_EXIT_ERROR;
	}
	return PK_EXIT_OK;
}
