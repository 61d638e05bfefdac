/* `probekit repo mirror`: the subset of a signed repository that a fleet runs,
 * copied into a directory with index.json and its signature unchanged (mirror.h,
 * docs/repository.md "Mirrors for air-gapped sites"). Only the front-end. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "cli/repo_opts.h"
#include "common/json.h"
#include "common/pk.h"
#include "fetch/http.h"
#include "repo/mirror.h"

int cmd_repo_mirror(int argc, char **argv);

static void usage(void)
{
	printf("usage: probekit repo mirror --from URL|DIR --to DIR --repo-key PUBLIC\n"
	       "                            (--kernels FILE | --catalog FILE)... [--probe-version PV]...\n"
	       "                            [--full-btf] [--prune] [--allow-expired] [--ca-file FILE]\n"
	       "                            [--connect-timeout S] [--fetch-timeout S] [--retries N]\n"
	       "                            [--json] [-q]\n\n"
	       "Copy what a fleet's kernels need from a signed repository into DIR, with index.json\n"
	       "and index.json.minisig byte for byte, so that agents verify DIR with the same key;\n"
	       "serve DIR with any web server, or mount it and give agents its path. The source's\n"
	       "index is verified first (signature, expiry, digest) and refused when older than\n"
	       "the one DIR holds or held (rollback). Files already in DIR with the right size\n"
	       "and SHA256 are kept; others are fetched into a temp file, checked (never more\n"
	       "bytes than listed) and renamed. The index and its signature are written last,\n"
	       "once every selected file is in; index.html is regenerated over what DIR holds.\n"
	       "Check a mirror with `probekit repo verify --partial DIR`.\n\n"
	       "  -f, --from URL|DIR     http(s)://, file:// or a directory (links never followed)\n"
	       "  -t, --to DIR           the mirror (made if missing; locked while written)\n"
	       "  -k, --repo-key PUBLIC  the repository's minisign public key (env PROBEKIT_REPO_KEY;\n"
	       "                         --key too)\n"
	       "      --kernels FILE     kernels, one a line ('#' comments, blank lines ignored):\n"
	       "                           UNAME_R            a `uname -r`: its BTF and legacy objects\n"
	       "                           TARGET/KERNELRELEASE/KERNELVERSION   a falco key\n"
	       "                           TARGET:KERNELRELEASE                 any kernel version\n"
	       "                         a falco key picks legacy objects and the BTF of their kernel;\n"
	       "                         every field is a glob (*, ?, [0-9]); '/' and ':' separate.\n"
	       "      --catalog FILE     `probekit kernels --json`: every kernel listed, exactly\n"
	       "                         (--kernels and --catalog repeat and combine)\n"
	       "      --probe-version PV only this probe version (repeatable; default every one)\n"
	       "      --full-btf         also the full kernel BTF (btf/...tar.xz); default: what\n"
	       "                         agents use (legacy and CO-RE objects, reduced BTF)\n"
	       "      --prune            remove from DIR every file this run did not select\n"
	       "      --allow-expired    accept an expired source index (kept old on purpose; env\n"
	       "                         PROBEKIT_ALLOW_EXPIRED=1)\n"
	       "      --ca-file FILE     CA bundle for https (env PROBEKIT_CA_FILE; default the system's)\n"
	       "      --connect-timeout S  seconds per connection (default 10)\n"
	       "      --fetch-timeout S  seconds per request, whole file (default 300)\n"
	       "      --retries N        on 5xx, reset, timeout (default 3, 0 to 10)\n"
	       "      --json             the summary as JSON on stdout\n"
	       "  -q, --quiet            no progress lines\n\n"
	       "The CO-RE objects of the selected probe versions always come along. A kernel\n"
	       "that matched nothing is a warning, not an error.\n\n"
	       "exit codes: 0 every selected file is in DIR and verified, 1 some file could not be\n"
	       "copied (DIR keeps its previous index), 2 usage, 3 could not mirror (the source's\n"
	       "index refused: key, expiry, rollback; DIR locked; a bad --kernels or --catalog)\n");
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

struct ctx {
	bool quiet, json;
};

static void on_event(enum pk_repo_mirror_event ev, const char *msg, void *p)
{
	const struct ctx *c = p;

	switch (ev) {
	case PK_MIRROR_INFO:
		if (!c->quiet)
			pk_note("%s", msg);
		break;
	case PK_MIRROR_WARN:
		pk_note("warning: %s", msg);
		break;
	case PK_MIRROR_PROBLEM:
		pk_err("%s", msg);
		break;
	}
}

int cmd_repo_mirror(int argc, char **argv)
{
	enum { O_KERNELS = 256, O_CATALOG, O_PV, O_FULL, O_PRUNE, O_EXPIRED, O_CA, O_CONNECT, O_TIMEOUT,
	       O_RETRIES, O_JSON };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "repo-key", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, 'k' },
		{ "kernels", required_argument, NULL, O_KERNELS },
		{ "catalog", required_argument, NULL, O_CATALOG },
		{ "probe-version", required_argument, NULL, O_PV },
		{ "full-btf", no_argument, NULL, O_FULL },
		{ "prune", no_argument, NULL, O_PRUNE },
		{ "allow-expired", no_argument, NULL, O_EXPIRED },
		{ "ca-file", required_argument, NULL, O_CA },
		{ "connect-timeout", required_argument, NULL, O_CONNECT },
		{ "fetch-timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_repo_mirror_result res = { 0 };
	struct ctx c = { 0 };
	PK_REPO_MIRROR_OPTS(mo, .key = getenv("PROBEKIT_REPO_KEY"), .event = on_event, .ctx = &c,
			    .result = &res);
	PK_HTTP_OPTS(ho, .ca_file = pk_cli__env_str("PROBEKIT_CA_FILE"));
	const char *from = NULL, *to = NULL, **pvs = NULL;
	struct pk_mirror_sel *sel = NULL;
	struct pk_http *http = NULL;
	struct pk_error e = { 0 };
	size_t nr_pvs = 0, nr_files = 0;
	int ch, r, rc = PK_EXIT_ERROR;

	if (mo.key && !*mo.key)
		mo.key = NULL;
	mo.allow_expired = pk_cli__env_on("PROBEKIT_ALLOW_EXPIRED");
	sel = pk_mirror_sel__new();
	pvs = calloc((size_t)argc + 1, sizeof(*pvs));
	if (!sel || !pvs) {
		pk_err("out of memory");
		goto out;
	}
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":f:t:k:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'k': mo.key = optarg; break;
		case O_KERNELS:
		case O_CATALOG:
			r = ch == O_KERNELS ? pk_mirror_sel__load_kernels(sel, optarg, &e)
					    : pk_mirror_sel__load_catalog(sel, optarg, &e);
			if (r) {
				pk_err("%s", pk_error__str(&e));
				goto out;
			}
			nr_files++;
			break;
		case O_PV:
			if (!pk_path__component_ok(optarg)) {
				rc = pk_usage_err("repo mirror", "bad --probe-version '%s'", optarg);
				goto out;
			}
			pvs[nr_pvs++] = optarg;
			break;
		case O_FULL: mo.full_btf = true; break;
		case O_PRUNE: mo.prune = true; break;
		case O_EXPIRED: mo.allow_expired = true; break;
		case O_CA: ho.ca_file = optarg; break;
		case O_CONNECT:
		case O_TIMEOUT:
			if (seconds_ms(optarg, ch == O_CONNECT ? &ho.connect_timeout_ms : &ho.timeout_ms)) {
				rc = pk_usage_err("repo mirror", "invalid --%s '%s' (seconds, up to 3600)",
						  ch == O_CONNECT ? "connect-timeout" : "fetch-timeout", optarg);
				goto out;
			}
			break;
		case O_RETRIES: {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 || v > 10) {
				rc = pk_usage_err("repo mirror", "invalid --retries '%s' (0 to 10)", optarg);
				goto out;
			}
			ho.retries = v ? (int)v : -1;
			break;
		}
		case O_JSON: c.json = true; break;
		case 'q': c.quiet = true; break;
		case 'h':
			usage();
			rc = PK_EXIT_OK;
			goto out;
		case ':':
			rc = pk_usage_err("repo mirror", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			rc = pk_usage_err("repo mirror", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc) {
		rc = pk_usage_err("repo mirror", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!from || !to) {
		rc = pk_usage_err("repo mirror", "missing %s", !from ? "--from URL|DIR" : "--to DIR");
		goto out;
	}
	if (!mo.key) {
		rc = pk_usage_err("repo mirror", "missing --repo-key PUBLIC (or env PROBEKIT_REPO_KEY)");
		goto out;
	}
	if (!nr_files) {
		rc = pk_usage_err("repo mirror", "missing --kernels FILE or --catalog FILE");
		goto out;
	}
	if (!pk_mirror_sel__count(sel))
		pk_note("warning: the selection names no kernel: only the CO-RE objects are mirrored");
	ho.progress = !c.quiet && !c.json && isatty(2);
	if (pk_http__new(&ho, &http, &e)) {
		pk_err("%s", pk_error__str(&e));
		goto out;
	}
	mo.sel = sel;
	mo.probe_versions = nr_pvs ? pvs : NULL;
	mo.nr_probe_versions = nr_pvs;
	mo.http = http;
	r = pk_repo__mirror(from, to, &mo, &e);
	if (c.json) {
		struct pk_json j;

		pk_json__init(&j, false);
		pk_json__obj_begin(&j);
		pk_json__kv_bool(&j, "ok", !r);
		pk_json__kv_str(&j, "error", r ? pk_error__str(&e) : NULL);
		pk_json__kv_uint(&j, "version", res.version);
		pk_json__kv_uint(&j, "selected", res.selected);
		pk_json__kv_uint(&j, "copied", res.copied);
		pk_json__kv_uint(&j, "present", res.present);
		pk_json__kv_uint(&j, "failed", res.failed);
		pk_json__kv_uint(&j, "bytes_copied", res.bytes_copied);
		pk_json__kv_uint(&j, "bytes_present", res.bytes_present);
		pk_json__kv_uint(&j, "unmatched", res.unmatched);
		pk_json__kv_uint(&j, "probe_versions_missing", res.probe_versions_missing);
		pk_json__kv_uint(&j, "pruned", res.pruned);
		pk_json__kv_uint(&j, "temps_removed", res.temps_removed);
		pk_json__kv_bool(&j, "index_written", res.index_written);
		pk_json__obj_end(&j);
		printf("%s\n", j.err ? "{}" : j.buf);
		pk_json__free(&j);
	}
	if (r) {
		pk_err("%s", pk_error__str(&e));
		rc = r == -EBADMSG && res.failed ? PK_EXIT_FAIL : PK_EXIT_ERROR;
		goto out;
	}
	if (!c.json && !c.quiet)
		printf("mirrored index version %" PRIu64 ": %zu files selected, %zu copied (%" PRIu64
		       " bytes), %zu already present; kernels that matched nothing: %zu%s\n",
		       res.version, res.selected, res.copied, res.bytes_copied, res.present, res.unmatched,
		       res.pruned ? "; stale files pruned" : "");
	rc = PK_EXIT_OK;
out:
	pk_http__free(http);
	pk_mirror_sel__free(sel);
	free(pvs);
	return rc;
}
