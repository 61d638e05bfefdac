/* libFuzzer target for the minisign parsers that read untrusted text: a public key,
 * a secret key without password (no scrypt), a signature verified against a fixed
 * key, and the index's trusted comment. The first byte picks which; the rest is the
 * input, handed over without a terminator. Aborts on a broken invariant too. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repo/minisign.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* the key of the seeds (minisign -G -W); its signatures are over "hello\n" */
static const char PUB[] =
	"untrusted comment: minisign public key 72D46898CCA0197\n"
	"RWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5\n";

static void check_error(int rc, const struct pk_error *e)
{
	REQUIRE(memchr(e->msg, 0, sizeof(e->msg)));
	if (rc)
		REQUIRE(e->msg[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_minisign_pubkey pk, pk2;
	struct pk_minisign_seckey *sk = NULL;
	struct pk_error e = { 0 };
	const char *text = (const char *)data + 1;
	char buf[PK_MINISIGN_PUBKEY_TEXT_LEN], *tc = NULL, *sig = NULL, *copy;
	size_t len, sig_len;
	uint8_t sha[32];
	uint64_t version;
	int64_t expires;
	int rc;

	if (!size)
		return 0;
	len = size - 1;
	switch (data[0] % 4) {
	case 0:
		rc = pk_minisign_pubkey__parse(&pk, text, len, &e);
		check_error(rc, &e);
		REQUIRE(rc == 0 || rc == -EBADMSG);
		if (!rc) {	/* what we write reads back as the same key */
			REQUIRE(!pk_minisign_pubkey__format(&pk, NULL, buf, sizeof(buf)));
			REQUIRE(!pk_minisign_pubkey__parse(&pk2, buf, strlen(buf), &e));
			REQUIRE(pk_minisign_pubkey__equal(&pk, &pk2));
		}
		break;
	case 1:
		rc = pk_minisign_seckey__parse(&sk, text, len, NULL, &e);
		check_error(rc, &e);
		REQUIRE(rc == 0 || rc == -EBADMSG || rc == -ENOKEY);
		REQUIRE(!rc == !!sk);
		if (!rc) {	/* a key we accept signs what its public half verifies */
			pk_minisign_seckey__pubkey(sk, &pk);
			REQUIRE(!pk_minisign__sign(sk, "x", 1, "t", &sig, &sig_len, &e));
			REQUIRE(!pk_minisign__verify(&pk, "x", 1, sig, sig_len, NULL, &e));
			free(sig);
			pk_minisign_seckey__free(sk);
		}
		break;
	case 2:
		REQUIRE(!pk_minisign_pubkey__parse(&pk, PUB, strlen(PUB), &e));
		rc = pk_minisign__verify(&pk, "hello\n", 6, text, len, &tc, &e);
		check_error(rc, &e);
		REQUIRE(rc == 0 || rc == -EBADMSG || rc == -EKEYREJECTED);
		REQUIRE(!rc == !!tc);
		if (tc) {
			REQUIRE(!strchr(tc, '\n'));
			free(tc);
		}
		break;
	case 3:
		copy = malloc(len + 1);
		REQUIRE(copy);
		memcpy(copy, text, len);
		copy[len] = 0;
		rc = pk_minisign__parse_index_comment(copy, &version, &expires, sha, &e);
		check_error(rc, &e);
		REQUIRE(rc == 0 || rc == -EBADMSG);
		if (!rc) {	/* strict: only the canonical form parses, so it formats back to itself */
			char out[PK_MINISIGN_INDEX_COMMENT_LEN];

			REQUIRE(expires >= 0);
			REQUIRE(!pk_minisign__format_index_comment(version, expires, sha, out, sizeof(out)));
			REQUIRE(!strcmp(out, copy));
		}
		free(copy);
		break;
	}
	return 0;
}
