/* `probekit repo sign` and `probekit repo verify-sig`: minisign signatures of any
 * file, for operators and for checking interoperability with the minisign tool.
 * A password never comes from the command line (it would show in ps). */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/pk.h"
#include "repo/minisign.h"

#define DATA_MAX (1UL << 30)	/* minisign's own limit for what it reads whole */
#define PASSWORD_MAX 1024

static void sign_usage(FILE *f)
{
	fprintf(f,
		"usage: probekit repo sign FILE --key SECRET [--trusted-comment TEXT]\n"
		"                          [--password-file F] [-o SIGFILE]\n\n"
		"Sign FILE with a minisign secret key (prehashed, like minisign 0.11 -S) and write\n"
		"FILE.minisig atomically. A key encrypted with a password (minisign -G) takes it\n"
		"from --password-file (its first line) or the environment PROBEKIT_KEY_PASSWORD.\n\n"
		"  -k, --key SECRET          the secret key file (probekit repo keygen, minisign -G)\n"
		"  -t, --trusted-comment T   one printable line, signed with FILE\n"
		"                            (default \"timestamp:<now>\\tfile:<name>\\thashed\", minisign's)\n"
		"      --password-file F     the key's password, first line of F\n"
		"  -o, --output SIGFILE      instead of FILE.minisig\n"
		"  -h, --help                this help\n\n"
		"exit codes: 0 signed, 2 usage, 3 could not (key, password, I/O)\n");
}

static void verify_usage(FILE *f)
{
	fprintf(f,
		"usage: probekit repo verify-sig FILE --key PUBLIC [--sig SIGFILE] [-q]\n\n"
		"Check FILE against its minisign signature (FILE.minisig) and the public key, the\n"
		"trusted comment included, and print the trusted comment. Accepts the prehashed\n"
		"(ED) and the legacy (Ed) signatures minisign writes.\n\n"
		"  -k, --key PUBLIC     a public key file, or the key's base64 line (RWQ...)\n"
		"  -x, --sig SIGFILE    instead of FILE.minisig\n"
		"  -q, --quiet          print nothing, only the exit code says\n"
		"  -h, --help           this help\n\n"
		"exit codes: 0 verified, 1 not verified (wrong key, altered file or comment,\n"
		"malformed signature), 2 usage, 3 could not read a file\n");
}

/* the password: --password-file's first line, else $PROBEKIT_KEY_PASSWORD, else none */
static int get_password(const char *file, char **out)
{
	const char *env = getenv("PROBEKIT_KEY_PASSWORD");
	char *text = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if (!file) {
		if (env && !(*out = strdup(env)))
			return -ENOMEM;
		return 0;
	}
	r = pk_file__read(file, &text, &len, PASSWORD_MAX);
	if (r) {
		pk_err("cannot read password file '%s': %s", file,
		       r == -EFBIG ? "larger than a password" : strerror(-r));
		return r;
	}
	text[strcspn(text, "\r\n")] = 0;
	*out = text;
	return 0;
}

static void free_password(char *p)
{
	if (p) {
		sodium_memzero(p, strlen(p));
		free(p);
	}
}

int cmd_repo_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "trusted-comment", required_argument, NULL, 't' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *tc = NULL, *pwfile = NULL, *output = NULL, *file;
	struct pk_minisign_seckey *sk = NULL;
	struct pk_error e = { 0 };
	char *password = NULL, *data = NULL, *sig = NULL, *def = NULL, *sigpath = NULL, *dup = NULL;
	size_t len = 0, sig_len = 0;
	int c, r, rc = PK_EXIT_ERROR;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 't': tc = optarg; break;
		case 'P': pwfile = optarg; break;
		case 'o': output = optarg; break;
		case 'h': sign_usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("repo sign", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("repo sign", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return pk_usage_err("repo sign", "which FILE?");
	if (optind + 1 != argc)
		return pk_usage_err("repo sign", "one FILE only, not also '%s'", argv[optind + 1]);
	if (!key)
		return pk_usage_err("repo sign", "--key SECRET is required");
	file = argv[optind];

	if (get_password(pwfile, &password))
		goto done;
	if (pk_minisign_seckey__load(&sk, key, password, &e)) {
		pk_err("%s%s", pk_error__str(&e),
		       e.code == -ENOKEY ? " (--password-file F, or PROBEKIT_KEY_PASSWORD)" : "");
		goto done;
	}
	r = pk_file__read(file, &data, &len, DATA_MAX);
	if (r) {
		pk_err("cannot read '%s': %s", file, r == -EFBIG ? "larger than 1 GiB" : strerror(-r));
		goto done;
	}
	if (!tc) {
		dup = strdup(file);
		if (!dup || asprintf(&def, "timestamp:%lld\tfile:%s\thashed", (long long)time(NULL),
				     basename(dup)) < 0) {
			def = NULL;
			pk_err("out of memory");
			goto done;
		}
		tc = def;
	}
	if (pk_minisign__sign(sk, data, len, tc, &sig, &sig_len, &e)) {
		pk_err("%s", pk_error__str(&e));
		goto done;
	}
	if (!output) {
		if (asprintf(&sigpath, "%s.minisig", file) < 0) {
			sigpath = NULL;
			pk_err("out of memory");
			goto done;
		}
		output = sigpath;
	}
	r = pk_file__write_atomic(output, sig, sig_len);
	if (r) {
		pk_err("cannot write '%s': %s", output, strerror(-r));
		goto done;
	}
	rc = PK_EXIT_OK;
done:
	free(sigpath);
	free(sig);
	free(def);
	free(dup);
	free(data);
	pk_minisign_seckey__free(sk);
	free_password(password);
	return rc;
}

/* --key: a file, or the base64 line itself when no such file exists */
static int load_pubkey(const char *arg, struct pk_minisign_pubkey *pk, struct pk_error *e)
{
	FILE *f = fopen(arg, "r");

	if (f) {
		fclose(f);
		return pk_minisign_pubkey__load(pk, arg, e);
	}
	if (!strncmp(arg, "RW", 2) && !strchr(arg, '\n'))
		return pk_minisign_pubkey__parse(pk, arg, strlen(arg), e);
	return pk_minisign_pubkey__load(pk, arg, e);	/* for its "cannot read" */
}

int cmd_repo_verify_sig(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "sig", required_argument, NULL, 'x' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *sigfile = NULL, *file;
	struct pk_minisign_pubkey pk;
	struct pk_error e = { 0 };
	char *data = NULL, *sig = NULL, *sigpath = NULL, *tc = NULL, id[PK_MINISIGN_KEYID_STR_LEN];
	size_t len = 0, sig_len = 0;
	bool quiet = false;
	int c, r, rc = PK_EXIT_ERROR;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:x:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'x': sigfile = optarg; break;
		case 'q': quiet = true; break;
		case 'h': verify_usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("repo verify-sig", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("repo verify-sig", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return pk_usage_err("repo verify-sig", "which FILE?");
	if (optind + 1 != argc)
		return pk_usage_err("repo verify-sig", "one FILE only, not also '%s'", argv[optind + 1]);
	if (!key)
		return pk_usage_err("repo verify-sig", "--key PUBLIC is required");
	file = argv[optind];

	if (load_pubkey(key, &pk, &e)) {
		pk_err("%s", pk_error__str(&e));
		goto done;
	}
	if (!sigfile) {
		if (asprintf(&sigpath, "%s.minisig", file) < 0) {
			sigpath = NULL;
			pk_err("out of memory");
			goto done;
		}
		sigfile = sigpath;
	}
	r = pk_file__read(sigfile, &sig, &sig_len, PK_MINISIGN_SIG_MAX);
	if (r == -EFBIG) {
		if (!quiet)
			pk_err("'%s': larger than any signature (%d bytes at most)", sigfile, PK_MINISIGN_SIG_MAX);
		rc = PK_EXIT_FAIL;
		goto done;
	}
	if (r) {
		pk_err("cannot read '%s': %s", sigfile, strerror(-r));
		goto done;
	}
	r = pk_file__read(file, &data, &len, DATA_MAX);
	if (r) {
		pk_err("cannot read '%s': %s", file, r == -EFBIG ? "larger than 1 GiB" : strerror(-r));
		goto done;
	}
	if (pk_minisign__verify(&pk, data, len, sig, sig_len, &tc, &e)) {
		if (!quiet)
			pk_err("'%s': %s", file, pk_error__str(&e));
		rc = PK_EXIT_FAIL;
		goto done;
	}
	/* signed, but by whoever holds the key: no escape sequences onto a terminal */
	for (char *p = tc; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			*p = '?';
	if (!quiet)
		printf("signature verified (key %s)\ntrusted comment: %s\n",
		       pk_minisign__key_id_str(pk.id, id), tc);
	rc = PK_EXIT_OK;
done:
	free(tc);
	free(sigpath);
	free(sig);
	free(data);
	return rc;
}
