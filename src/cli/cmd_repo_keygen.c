/* `probekit repo keygen`: a new minisign key pair for signing a repository's index.
 * The secret key is written unencrypted (0600): it lives on the farm that signs;
 * protect it with the file system, or encrypt it with minisign itself. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/pk.h"
#include "repo/minisign.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit repo keygen --public FILE --secret FILE [--force] [--comment TEXT]\n\n"
		"Make a new minisign key pair (Ed25519, random key id): the public key file (0644),\n"
		"which clients trust, and the secret key file (0600, unencrypted), which signs the\n"
		"repository's index. Both are minisign's formats: `minisign -Vm FILE -p PUBLIC`\n"
		"verifies what `probekit repo sign` signs, and `minisign -S -s SECRET` signs with it.\n"
		"Prints the key id and the public key line.\n\n"
		"  -p, --public FILE    where the public key goes\n"
		"  -s, --secret FILE    where the secret key goes\n"
		"  -f, --force          replace existing files (default: refuse)\n"
		"  -c, --comment TEXT   the public key's untrusted comment\n"
		"                       (default \"minisign public key <ID>\")\n"
		"  -h, --help           this help\n\n"
		"exit codes: 0 written, 2 usage, 3 could not (a file exists, I/O)\n");
}

int cmd_repo_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "comment", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL, *sec = NULL;
	PK_MINISIGN_KEYGEN_OPTS(ko);
	struct pk_minisign_pubkey pk;
	struct pk_error e = { 0 };
	char b64[PK_MINISIGN_PUBKEY_B64_LEN], id[PK_MINISIGN_KEYID_STR_LEN];
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:s:fc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub = optarg;
			break;
		case 's':
			sec = optarg;
			break;
		case 'f':
			ko.force = true;
			break;
		case 'c':
			ko.comment = optarg;
			break;
		case 'h':
			usage(stdout);
			return PK_EXIT_OK;
		case ':':
			return pk_usage_err("repo keygen", "option '%s' needs a value", argv[optind - 1]);
		default:
			return pk_usage_err("repo keygen", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pk_usage_err("repo keygen", "unexpected argument '%s'", argv[optind]);
	if (!pub || !sec)
		return pk_usage_err("repo keygen", "--public FILE and --secret FILE are both required");

	if (pk_minisign__keygen(pub, sec, &ko, &e)) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	/* read back what was written: what we print is what clients will load */
	if (pk_minisign_pubkey__load(&pk, pub, &e)) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	pk_minisign_pubkey__base64(&pk, b64, sizeof(b64));
	printf("key id: %s\npublic key: %s\n", pk_minisign__key_id_str(pk.id, id), b64);
	pk_note("wrote '%s' and '%s' (unencrypted, mode 0600: keep it secret)", pub, sec);
	return PK_EXIT_OK;
}
