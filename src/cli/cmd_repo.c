/* `probekit repo index|verify|ls|mirror|keygen|sign|verify-sig`: the signed static
 * repository (docs/repository.md). index and verify and ls live here; mirror in
 * cmd_repo_mirror.c, the key and signature commands in cmd_repo_keygen.c and
 * cmd_repo_sign.c. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/json.h"
#include "common/pk.h"
#include "repo/repo.h"

/* cmd_repo_mirror.c (also declared in cli.h once the lead adds it there) */
int cmd_repo_mirror(int argc, char **argv);

static const char *password_env(void)
{
	const char *p = getenv("PROBEKIT_KEY_PASSWORD");

	return p && *p ? p : NULL;
}

static int cmd_repo_index(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "valid-for", required_argument, NULL, 'v' },
		{ "next-key", required_argument, NULL, 'n' },
		{ "title", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_repo_index_result res = { 0 };
	PK_REPO_INDEX_OPTS(io, .key = getenv("PROBEKIT_REPO_SECRET_KEY"), .password = password_env(),
			   .result = &res);
	struct pk_error e = { 0 };
	bool json = false;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': io.key = optarg; break;
		case 'v':
			io.valid_for = pk_cli__parse_duration(optarg);
			if (io.valid_for < 0)
				return pk_usage_err("repo index", "bad --valid-for '%s' (e.g. 7d, 12h, 3600)", optarg);
			break;
		case 'n': io.next_key = optarg; break;
		case 't': io.title = optarg; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: probekit repo index DIR --key SECRET [--valid-for DURATION] [--next-key PUBLIC]\n"
			       "                           [--title TEXT] [--json]\n\n"
			       "Index the repository DIR: every build record (_build/) and shard manifest\n"
			       "(_shards/) merged, each artifact checked against its record, the verification\n"
			       "state of unchanged artifacts kept; then index.html, index.json (its version one\n"
			       "more than the last, which must verify with this key; expires now + DURATION) and\n"
			       "index.json.minisig, each written whole. Temp files a killed writer left are removed.\n\n"
			       "  -k, --key SECRET     minisign secret key (env PROBEKIT_REPO_SECRET_KEY; an\n"
			       "                       encrypted key's password from env PROBEKIT_KEY_PASSWORD)\n"
			       "  -v, --valid-for D    how long clients accept this index: 7d (default), 12h, 3600\n"
			       "      --next-key PUB   announce the next signing key, signed by this one\n"
			       "      --title TEXT     index.html's title\n"
			       "      --json           the result as JSON\n\n"
			       "exit codes: 0 indexed, 2 usage, 3 could not (locked, a record or artifact that\n"
			       "does not check out, a key that did not sign the previous index)\n");
			return PK_EXIT_OK;
		case ':': return pk_usage_err("repo index", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("repo index", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return pk_usage_err("repo index", optind >= argc ? "missing DIR" : "one DIR only");
	if (!io.key)
		return pk_usage_err("repo index", "missing --key SECRET");
	r = pk_repo__index(argv[optind], &io, &e);
	if (r) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	if (json) {
		printf("{\"version\": %" PRIu64 ", \"expires\": %" PRId64 ", \"artifacts\": %zu, \"failures\": %zu, "
		       "\"records\": %zu, \"manifests\": %zu, \"temps_removed\": %zu}\n",
		       res.version, res.expires, res.artifacts, res.failures, res.records, res.manifests,
		       res.temps_removed);
	} else {
		printf("index version %" PRIu64 ": %zu artifacts, %zu failed builds, from %zu records and %zu shard manifests; expires %" PRId64 "%s\n",
		       res.version, res.artifacts, res.failures, res.records, res.manifests, res.expires,
		       res.temps_removed ? " (stale temp files removed)" : "");
	}
	return PK_EXIT_OK;
}

static void print_problem(const char *msg, void *ctx)
{
	pk_err("%s", msg);
}

static int cmd_repo_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "allow-expired", no_argument, NULL, 'E' },
		{ "state", required_argument, NULL, 's' },
		{ "index-only", no_argument, NULL, 'I' },
		{ "partial", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_repo_verify_result res = { 0 };
	PK_REPO_VERIFY_OPTS(vo, .key = getenv("PROBEKIT_REPO_KEY"), .problem = print_problem,
			    .result = &res);
	struct pk_error e = { 0 };
	bool json = false;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': vo.key = optarg; break;
		case 'E': vo.allow_expired = true; break;
		case 's': vo.state = optarg; break;
		case 'I': vo.index_only = true; break;
		case 'P': vo.partial = true; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: probekit repo verify DIR|URL --key PUBLIC [--allow-expired] [--state FILE]\n"
			       "                            [--index-only] [--partial] [--json]\n\n"
			       "Check a repository as a client would, and more: index.json's minisign signature\n"
			       "before it is parsed; the signed version, expiry and digest; not expired; not\n"
			       "older than the version --state last saw for this key (rollback); every listed\n"
			       "file's size and SHA256 (never more bytes fetched than listed); for a directory,\n"
			       "no unlisted file and no link. Every problem is printed.\n\n"
			       "  -k, --key PUBLIC     minisign public key (env PROBEKIT_REPO_KEY)\n"
			       "      --allow-expired  accept an expired index (an air-gapped mirror kept old)\n"
			       "      --state FILE     remember the highest version per key; refuse older ones\n"
			       "      --index-only     signature, expiry and rollback only\n"
			       "      --partial        a mirror (repo mirror): listed files that are absent are\n"
			       "                       no problem, those present are checked in full\n"
			       "      --json           the result as JSON\n\n"
			       "exit codes: 0 verified, 1 problems found, 2 usage, 3 the index cannot be read or\n"
			       "its signature does not verify\n");
			return PK_EXIT_OK;
		case ':': return pk_usage_err("repo verify", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("repo verify", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return pk_usage_err("repo verify", optind >= argc ? "missing DIR or URL" : "one DIR or URL only");
	if (!vo.key)
		return pk_usage_err("repo verify", "missing --key PUBLIC");
	r = pk_repo__verify(argv[optind], &vo, &e);
	if (json)
		printf("{\"verified\": %s, \"version\": %" PRIu64 ", \"expires\": %" PRId64 ", \"key_id\": \"%s\", "
		       "\"files\": %zu, \"bytes\": %zu, \"problems\": %zu}\n",
		       r ? "false" : "true", res.version, res.expires, res.key_id, res.files, res.bytes,
		       res.problems);
	if (r == -EBADMSG && res.problems) {
		if (!json)
			printf("NOT verified: %zu problems in index version %" PRIu64 "\n", res.problems, res.version);
		return PK_EXIT_FAIL;
	}
	if (r) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	if (!json)
		printf("verified: index version %" PRIu64 " signed by %s, %zu files (%zu bytes), expires %" PRId64 "\n",
		       res.version, res.key_id, res.files, res.bytes, res.expires);
	return PK_EXIT_OK;
}

static int cmd_repo_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "allow-expired", no_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = getenv("PROBEKIT_REPO_KEY");
	struct pk_minisign_pubkey pub;
	struct pk_index *ix = NULL;
	struct pk_error e = { 0 };
	bool json = false, allow_expired = false;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'E': allow_expired = true; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: probekit repo ls DIR|URL [--key PUBLIC] [--allow-expired] [--json]\n\n"
			       "List a repository's artifacts and failed builds from its index (verified first\n"
			       "when --key or PROBEKIT_REPO_KEY gives the public key; said so when not).\n"
			       "--json prints the index itself (canonical form).\n");
			return PK_EXIT_OK;
		case ':': return pk_usage_err("repo ls", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("repo ls", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return pk_usage_err("repo ls", optind >= argc ? "missing DIR or URL" : "one DIR or URL only");
	if (key && (r = pk_minisign_pubkey__load(&pub, key, &e))) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	if (!key)
		pk_note("no --key: the index is read without checking its signature");
	r = pk_repo__load(argv[optind], key ? &pub : NULL, allow_expired, NULL, &ix, &e);
	if (r) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_index__write(ix, &j);
		printf("%s\n", j.err ? "" : j.buf);
		pk_json__free(&j);
	} else {
		printf("index version %" PRIu64 ", expires %" PRId64 ": %zu artifacts, %zu failed builds\n",
		       ix->version, ix->expires, ix->nr_artifacts, ix->nr_failures);
		printf("%-14s %-10s %-12s %-60s %s\n", "KIND", "SIZE", "VERIFIED", "PATH", "SHA256");
		for (size_t i = 0; i < ix->nr_artifacts; i++) {
			const struct pk_index_artifact *a = &ix->artifacts[i];

			printf("%-14s %-10" PRIu64 " %-12s %-60s %.16s\n", a->kind, a->size,
			       a->verification.state ? a->verification.state : "unverified", a->path, a->sha256);
		}
		for (size_t i = 0; i < ix->nr_failures; i++) {
			const struct pk_index_failure *f = &ix->failures[i];

			printf("FAILED %s %s (%s): %s\n", f->key, f->kind, f->stage ? f->stage : "?",
			       f->reason ? f->reason : "");
		}
	}
	pk_index__free(ix);
	return PK_EXIT_OK;
}

static const struct pk_cmd repo_commands[] = {
	{ "index", cmd_repo_index, "merge build records and shard manifests; write and sign the index and index.html" },
	{ "verify", cmd_repo_verify, "check a repository: signature, expiry, rollback, every file, nothing unlisted" },
	{ "ls", cmd_repo_ls, "list a repository's artifacts and failed builds" },
	{ "mirror", cmd_repo_mirror, "copy the subset a fleet runs, signed index intact (air-gapped sites)" },
	{ "keygen", cmd_repo_keygen, "make a minisign key pair (public + 0600 secret)" },
	{ "sign", cmd_repo_sign, "sign FILE with a minisign key, write FILE.minisig" },
	{ "verify-sig", cmd_repo_verify_sig, "check FILE against FILE.minisig and a public key" },
	{ NULL, NULL, NULL },
};

int cmd_repo(int argc, char **argv)
{
	return pk_dispatch("repo", repo_commands, argc, argv);
}
