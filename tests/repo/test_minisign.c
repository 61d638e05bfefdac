/* minisign signatures (src/repo/minisign.c): round trips, files made by the real
 * minisign 0.11 (prehashed, legacy, its -W secret key), every malformed shape of a
 * signature and a key refused with its reason, wrong key, altered data and comment,
 * encrypted keys, the index's trusted comment and key rotation. */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/minisign.h"
#include "unit.h"

/* made by `minisign -G -W`, `minisign -S -t "hi there"` and `minisign -S -l -t
 * "legacy one"` over the 6 bytes "hello\n" (a throwaway test key) */
static const char MS_PUB[] =
	"untrusted comment: minisign public key 72D46898CCA0197\n"
	"RWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5\n";
static const char MS_SEC[] =
	"untrusted comment: minisign encrypted secret key\n"
	"RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlwHKjIlGLQdoCTdNybQRdfnx2MM5wt++daXves3nsRW7Ag1C3AlK+tWzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char MS_SIG[] =
	"untrusted comment: signature from minisign secret key\n"
	"RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
	"trusted comment: hi there\n"
	"W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n";
static const char MS_LEGACY[] =
	"untrusted comment: signature from minisign secret key\n"
	"RWSXAcqMiUYtB1RCP7f8cb153jfiW47+qzEUdly71fJOoL4+rP9Jq0GFPwsQ3a6N8TEzZ7ItPn8szJxPfbN6Zmp+/VMZhi1/ogw=\n"
	"trusted comment: legacy one\n"
	"ia/MsvTiHSbSy0EWFxNpOgqUbucCX3BfPENK8jHKZMFzL9mQEEKsrM/WeZ3N+pgBzWWGxw+BDoizfCxATCjxDg==\n";
static const char HELLO[] = "hello\n";

static char tmp[] = "/tmp/pk-test-minisign.XXXXXX";

static int verify_str(const struct pk_minisign_pubkey *pk, const char *data, const char *sig,
		      char **tc, struct pk_error *e)
{
	pk_error__clear(e);
	return pk_minisign__verify(pk, data, strlen(data), sig, strlen(sig), tc, e);
}

static void test_real_minisign_files(void)
{
	const char *t = "minisign/real";
	struct pk_minisign_pubkey pk, pk2;
	struct pk_minisign_seckey *sk = NULL;
	struct pk_error e = { 0 };
	char id[PK_MINISIGN_KEYID_STR_LEN], text[PK_MINISIGN_PUBKEY_TEXT_LEN], *tc = NULL, *sig = NULL;
	size_t sig_len;
	int r;

	CHECK(t, !pk_minisign_pubkey__parse(&pk, MS_PUB, strlen(MS_PUB), &e), "%s", e.msg);
	CHECK_STR(t, pk_minisign__key_id_str(pk.id, id), "72D46898CCA0197");
	/* the file text we write back is minisign's, byte for byte */
	CHECK(t, !pk_minisign_pubkey__format(&pk, NULL, text, sizeof(text)), "format");
	CHECK_STR(t, text, MS_PUB);
	/* the bare line parses to the same key */
	CHECK(t, !pk_minisign_pubkey__parse(&pk2, "RWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5", 56, &e),
	      "%s", e.msg);
	CHECK(t, pk_minisign_pubkey__equal(&pk, &pk2), "bare line differs");

	r = verify_str(&pk, HELLO, MS_SIG, &tc, &e);
	CHECK(t, r == 0, "minisign's signature refused: %s", e.msg);
	CHECK_STR(t, tc, "hi there");
	free(tc);
	tc = NULL;
	r = verify_str(&pk, HELLO, MS_LEGACY, &tc, &e);
	CHECK(t, r == 0, "minisign's legacy signature refused: %s", e.msg);
	CHECK_STR(t, tc, "legacy one");
	free(tc);
	tc = NULL;
	r = verify_str(&pk, "hello!", MS_SIG, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc, "altered data accepted: %d", r);
	r = verify_str(&pk, "hello!", MS_LEGACY, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc, "altered data accepted (legacy): %d", r);

	/* minisign -G -W's secret key (chk left zero): read, and signs exactly as minisign */
	r = pk_minisign_seckey__parse(&sk, MS_SEC, strlen(MS_SEC), NULL, &e);
	CHECK(t, r == 0, "minisign -W key refused: %s", e.msg);
	pk_minisign_seckey__pubkey(sk, &pk2);
	CHECK(t, pk_minisign_pubkey__equal(&pk, &pk2), "secret key's public half differs");
	r = pk_minisign__sign(sk, HELLO, 6, "hi there", &sig, &sig_len, &e);
	pk_minisign_seckey__free(sk);
	CHECK(t, r == 0, "%s", e.msg);
	CHECK_STR(t, sig, MS_SIG);	/* Ed25519 is deterministic */
	CHECK_INT(t, sig_len, strlen(MS_SIG));
	free(sig);
	PASS(t);
}

static void test_round_trip(void)
{
	const char *t = "minisign/round-trip";
	char pub[4200], sec[4200], *tc = NULL, *sig = NULL, *pubtext = NULL, b64[PK_MINISIGN_PUBKEY_B64_LEN];
	struct pk_minisign_pubkey pk, pk2;
	struct pk_minisign_seckey *sk = NULL;
	struct pk_error e = { 0 };
	PK_MINISIGN_KEYGEN_OPTS(o, .comment = "probekit test key");
	static const char data[] = "{\"version\": 1}\n";
	struct stat st;
	size_t sig_len, len;
	int r;

	snprintf(pub, sizeof(pub), "%s/rt.pub", tmp);
	snprintf(sec, sizeof(sec), "%s/rt.sec", tmp);
	CHECK(t, !pk_minisign__keygen(pub, sec, &o, &e), "keygen: %s", e.msg);
	CHECK(t, !stat(sec, &st) && (st.st_mode & 0777) == 0600, "secret key mode %o", st.st_mode & 0777);
	CHECK(t, !stat(pub, &st) && (st.st_mode & 0777) == 0644, "public key mode %o", st.st_mode & 0777);
	CHECK(t, !pk_file__read(pub, &pubtext, &len, 4096), "read pub");
	CHECK(t, !strncmp(pubtext, "untrusted comment: probekit test key\nRW", 39), "pub text '%s'", pubtext);
	free(pubtext);
	CHECK(t, !pk_minisign_pubkey__load(&pk, pub, &e), "%s", e.msg);
	CHECK(t, !pk_minisign_seckey__load(&sk, sec, NULL, &e), "%s", e.msg);
	pk_minisign_seckey__pubkey(sk, &pk2);
	CHECK(t, pk_minisign_pubkey__equal(&pk, &pk2), "key pair halves differ");
	pk_minisign_pubkey__base64(&pk, b64, sizeof(b64));
	CHECK_INT(t, strlen(b64), 56);
	CHECK(t, !strncmp(b64, "RW", 2), "base64 '%s'", b64);

	r = pk_minisign__sign(sk, data, strlen(data), "probekit-index version=1 expires=2 sha256="
			      "0000000000000000000000000000000000000000000000000000000000000000",
			      &sig, &sig_len, &e);
	CHECK(t, r == 0, "sign: %s", e.msg);
	CHECK_INT(t, strlen(sig), sig_len);
	r = pk_minisign__verify(&pk, data, strlen(data), sig, sig_len, &tc, &e);
	CHECK(t, r == 0, "verify: %s", e.msg);
	CHECK(t, !strncmp(tc, "probekit-index version=1 ", 25), "tc '%s'", tc);
	free(tc);
	/* a tab is what minisign's own default comment has: allowed */
	free(sig);
	r = pk_minisign__sign(sk, data, strlen(data), "timestamp:1\tfile:x\thashed", &sig, &sig_len, &e);
	CHECK(t, r == 0, "tab refused: %s", e.msg);
	r = pk_minisign__verify(&pk, data, strlen(data), sig, sig_len, NULL, &e);
	CHECK(t, r == 0, "verify (tab): %s", e.msg);
	free(sig);
	/* an empty file and an empty trusted comment are signable */
	r = pk_minisign__sign(sk, "", 0, "", &sig, &sig_len, &e);
	CHECK(t, r == 0, "empty: %s", e.msg);
	r = pk_minisign__verify(&pk, "", 0, sig, sig_len, &tc, &e);
	CHECK(t, r == 0 && !strcmp(tc, ""), "verify empty: %s", e.msg);
	free(tc);
	free(sig);
	/* NULL comment: a timestamp */
	r = pk_minisign__sign(sk, "x", 1, NULL, &sig, &sig_len, &e);
	CHECK(t, r == 0 && strstr(sig, "\ntrusted comment: timestamp:"), "default comment: %s", e.msg);
	free(sig);
	pk_minisign_seckey__free(sk);
	PASS(t);
}

static void test_sign_refusals(void)
{
	const char *t = "minisign/sign-refuses-comments";
	static const char *const bad[] = { "two\nlines", "cr\r", "bell\a", "del\x7f", "esc\x1b[31m" };
	struct pk_minisign_seckey *sk = NULL;
	struct pk_error e = { 0 };
	char *sig = NULL, big[PK_MINISIGN_TRUSTED_COMMENT_MAX + 2];
	size_t sig_len;
	int r;

	CHECK(t, !pk_minisign_seckey__parse(&sk, MS_SEC, strlen(MS_SEC), NULL, &e), "%s", e.msg);
	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		r = pk_minisign__sign(sk, "x", 1, bad[i], &sig, &sig_len, &e);
		if (r != -EINVAL || sig || !strstr(e.msg, "one line of printable text")) {
			FAIL(t, "comment %zu: %d '%s'", i, r, e.msg);
			pk_minisign_seckey__free(sk);
			return;
		}
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	r = pk_minisign__sign(sk, "x", 1, big, &sig, &sig_len, &e);
	pk_minisign_seckey__free(sk);
	CHECK(t, r == -EINVAL && !sig, "too long a comment accepted: %d", r);
	PASS(t);
}

/* every malformed shape of a signature file, each with its reason */
static void test_malformed_signatures(void)
{
	static const struct {
		const char *name, *sig, *reason;
	} cases[] = {
		{ "empty", "", "expected 4 lines, found 0" },
		{ "3 lines",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted comment: hi there\n",
		  "expected 4 lines, found 3" },
		{ "5 lines",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n"
		  "\n",
		  "expected 4 lines, found more than 4" },
		{ "untrusted prefix",
		  "comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "does not start with \"untrusted comment: \"" },
		{ "trusted prefix",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "third line does not start with \"trusted comment: \"" },
		{ "base64 chars",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUg*=\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "not valid base64" },
		{ "base64 short",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQ\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "decodes to 72 bytes, expected 74" },
		{ "base64 long",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUggAAAAA\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "base64 line is 104 characters, expected 100" },
		{ "empty base64 line",
		  "untrusted comment: x\n"
		  "\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "empty line where base64 was expected" },
		{ "algorithm",
		  "untrusted comment: x\n"
		  "RVmXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ==\n",
		  "unsupported signature algorithm 'EY'" },
		{ "global base64",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7jDQ=\n",
		  "global signature: not valid base64" },
		{ "global length",
		  "untrusted comment: x\n"
		  "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=\n"
		  "trusted comment: hi there\n"
		  "W4NPhF2xZsuF8H6uY1Ky3chs2RZlk3ncTYQaVHpCFEf5xZ57nxc0KYqVk/JYp8rtLCHAFnk0/FXTYqU9PT7j\n",
		  "global signature: decodes to 63 bytes, expected 64" },
	};
	const char *t = "minisign/malformed-signatures";
	struct pk_minisign_pubkey pk;
	struct pk_error e = { 0 };
	char *tc = NULL, *big;
	int r;

	CHECK(t, !pk_minisign_pubkey__parse(&pk, MS_PUB, strlen(MS_PUB), &e), "%s", e.msg);
	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		r = verify_str(&pk, HELLO, cases[i].sig, &tc, &e);
		if (r != -EBADMSG || tc || !strstr(e.msg, cases[i].reason)) {
			FAIL(t, "%s: got %d '%s', want -EBADMSG '%s'", cases[i].name, r, e.msg, cases[i].reason);
			free(tc);
			return;
		}
	}
	/* a NUL inside, and a file larger than any signature */
	r = pk_minisign__verify(&pk, HELLO, 6, MS_SIG, sizeof(MS_SIG), &tc, &e);
	CHECK(t, r == -EBADMSG && strstr(e.msg, "NUL"), "NUL: %d '%s'", r, e.msg);
	big = calloc(1, PK_MINISIGN_SIG_MAX + 1);
	CHECK(t, big, "calloc");
	memcpy(big, MS_SIG, strlen(MS_SIG));
	r = pk_minisign__verify(&pk, HELLO, 6, big, PK_MINISIGN_SIG_MAX + 1, &tc, &e);
	free(big);
	CHECK(t, r == -EBADMSG && strstr(e.msg, "more than"), "big: %d '%s'", r, e.msg);
	/* bounded: the text as handed over, one byte short of its newline, still parses */
	r = pk_minisign__verify(&pk, HELLO, 6, MS_SIG, strlen(MS_SIG) - 1, &tc, &e);
	CHECK(t, r == 0, "without the last newline: %s", e.msg);
	free(tc);
	PASS(t);
}

static void replace(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);

	if (p && strlen(from) == strlen(to))
		memcpy(p, to, strlen(to));
}

static void test_rejections(void)
{
	const char *t = "minisign/rejections";
	struct pk_minisign_pubkey pk, other;
	struct pk_error e = { 0 };
	char sig[sizeof(MS_SIG)], id[PK_MINISIGN_KEYID_STR_LEN], want[128];
	char *tc = NULL;
	int r;

	CHECK(t, !pk_minisign_pubkey__parse(&pk, MS_PUB, strlen(MS_PUB), &e), "%s", e.msg);
	/* another key id: the message names both */
	other = pk;
	other.id[0] ^= 1;
	r = verify_str(&other, HELLO, MS_SIG, &tc, &e);
	snprintf(want, sizeof(want), "signed by key 72D46898CCA0197, not %s", pk_minisign__key_id_str(other.id, id));
	CHECK(t, r == -EKEYREJECTED && !tc, "wrong key id: %d", r);
	CHECK_STR(t, e.msg, want);
	/* the same id with another key: the signature fails */
	other = pk;
	other.pk[5] ^= 1;
	r = verify_str(&other, HELLO, MS_SIG, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc && strstr(e.msg, "signature verification failed"),
	      "wrong key: %d '%s'", r, e.msg);
	/* altered data */
	r = verify_str(&pk, "hellO\n", MS_SIG, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc && strstr(e.msg, "not what key"), "altered data: %d", r);
	/* altered trusted comment: the data verifies, the comment does not */
	memcpy(sig, MS_SIG, sizeof(sig));
	replace(sig, "hi there", "hi thera");
	r = verify_str(&pk, HELLO, sig, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc && strstr(e.msg, "trusted comment verification failed"),
	      "altered comment: %d '%s'", r, e.msg);
	/* ED -> Ed (the same signature claimed legacy): refused */
	memcpy(sig, MS_SIG, sizeof(sig));
	replace(sig, "\nRUSX", "\nRWSX");
	r = verify_str(&pk, HELLO, sig, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc, "ED as Ed: %d '%s'", r, e.msg);
	/* altered global signature */
	memcpy(sig, MS_SIG, sizeof(sig));
	replace(sig, "W4NPhF2x", "W4NPhF3x");
	r = verify_str(&pk, HELLO, sig, &tc, &e);
	CHECK(t, r == -EKEYREJECTED && !tc, "altered global signature: %d '%s'", r, e.msg);
	PASS(t);
}

/* an encrypted key as `minisign -G` writes it, with libsodium's smallest scrypt limits */
static char *encrypted_key(const char *plain, const char *password)
{
	uint8_t raw[158], stream[104];
	char b64[sodium_base64_ENCODED_LEN(158, sodium_base64_VARIANT_ORIGINAL)], *out;
	const char *line = strchr(plain, '\n') + 1;
	size_t len;
	uint64_t ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN;
	uint64_t mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN;

	if (sodium_base642bin(raw, sizeof(raw), line, strcspn(line, "\n"), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || len != 158)
		return NULL;
	memcpy(raw + 2, "Sc", 2);
	randombytes_buf(raw + 6, 32);
	for (int i = 0; i < 8; i++) {
		raw[38 + i] = ops >> (8 * i);
		raw[46 + i] = mem >> (8 * i);
	}
	if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), password, strlen(password),
					       raw + 6, ops, mem))
		return NULL;
	for (int i = 0; i < 104; i++)
		raw[54 + i] ^= stream[i];
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&out, "untrusted comment: minisign encrypted secret key\n%s\n", b64) < 0)
		return NULL;
	return out;
}

static void test_secret_keys(void)
{
	const char *t = "minisign/secret-keys";
	struct pk_minisign_seckey *sk = NULL, *sk0 = NULL;
	struct pk_minisign_pubkey pk, pk2;
	struct pk_error e = { 0 };
	char *plain = NULL, *enc = NULL, *sig = NULL;
	uint8_t raw[158];
	char b64[220], text[400];
	size_t len, sig_len;
	int r;

	CHECK(t, !pk_minisign_pubkey__parse(&pk, MS_PUB, strlen(MS_PUB), &e), "%s", e.msg);
	/* our writer: a real chk, which we then check */
	CHECK(t, !pk_minisign_seckey__parse(&sk0, MS_SEC, strlen(MS_SEC), NULL, &e), "%s", e.msg);
	CHECK(t, !pk_minisign_seckey__format(sk0, NULL, &plain, &len), "format");
	pk_minisign_seckey__free(sk0);
	CHECK(t, !pk_minisign_seckey__parse(&sk, plain, len, NULL, &e), "our own key: %s", e.msg);
	pk_minisign_seckey__free(sk);
	sk = NULL;

	/* encrypted: right password signs, wrong one and none are refused */
	enc = encrypted_key(plain, "correct horse");
	CHECK(t, enc, "cannot make an encrypted key");
	r = pk_minisign_seckey__parse(&sk, enc, strlen(enc), "correct horse", &e);
	CHECK(t, r == 0, "right password refused: %s", e.msg);
	pk_minisign_seckey__pubkey(sk, &pk2);
	CHECK(t, pk_minisign_pubkey__equal(&pk, &pk2), "decrypted to another key");
	r = pk_minisign__sign(sk, HELLO, 6, "hi there", &sig, &sig_len, &e);
	pk_minisign_seckey__free(sk);
	sk = NULL;
	CHECK(t, r == 0 && !strcmp(sig, MS_SIG), "decrypted key signs otherwise: %s", e.msg);
	free(sig);
	r = pk_minisign_seckey__parse(&sk, enc, strlen(enc), "correct hors", &e);
	CHECK(t, r == -EKEYREJECTED && !sk && strstr(e.msg, "wrong password"), "wrong password: %d '%s'", r,
	      e.msg);
	r = pk_minisign_seckey__parse(&sk, enc, strlen(enc), NULL, &e);
	CHECK(t, r == -ENOKEY && !sk, "no password: %d '%s'", r, e.msg);
	free(enc);

	/* damaged or foreign keys, each with its reason */
	{
		const char *line = strchr(plain, '\n') + 1;
		static const struct {
			int off;
			uint8_t x;
			const char *reason;
		} dmg[] = {
			{ 0, 'X', "unsupported signature algorithm" },
			{ 2, 'A', "unsupported key derivation" },
			{ 4, 'X', "unsupported checksum algorithm" },
			{ 130, 1, "checksum mismatch" },	/* chk */
			{ 100, 1, "checksum mismatch" },	/* sk's public half, chk catches it */
		};

		CHECK(t, !sodium_base642bin(raw, sizeof(raw), line, strcspn(line, "\n"), NULL, &len, NULL,
					    sodium_base64_VARIANT_ORIGINAL) && len == 158, "decode");
		for (size_t i = 0; i < PK_ARRAY_SIZE(dmg); i++) {
			uint8_t c[158];

			memcpy(c, raw, sizeof(c));
			c[dmg[i].off] = dmg[i].off < 6 ? dmg[i].x : c[dmg[i].off] ^ dmg[i].x;
			sodium_bin2base64(b64, sizeof(b64), c, sizeof(c), sodium_base64_VARIANT_ORIGINAL);
			snprintf(text, sizeof(text), "untrusted comment: k\n%s\n", b64);
			r = pk_minisign_seckey__parse(&sk, text, strlen(text), NULL, &e);
			if (r != -EBADMSG || sk || !strstr(e.msg, dmg[i].reason)) {
				FAIL(t, "damage %zu: %d '%s', want '%s'", i, r, e.msg, dmg[i].reason);
				pk_minisign_seckey__free(sk);
				free(plain);
				return;
			}
		}
		/* minisign -W style (chk zero) with a damaged public half: the seed check */
		memset(raw + 126, 0, 32);
		raw[100] ^= 1;
		sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
		snprintf(text, sizeof(text), "untrusted comment: k\n%s\n", b64);
		r = pk_minisign_seckey__parse(&sk, text, strlen(text), NULL, &e);
		CHECK(t, r == -EBADMSG && !sk && strstr(e.msg, "does not match its seed"), "seed: %d '%s'", r,
		      e.msg);
	}
	free(plain);
	/* shapes */
	r = pk_minisign_seckey__parse(&sk, MS_SEC, strchr(MS_SEC, '\n') - MS_SEC + 1, NULL, &e);
	CHECK(t, r == -EBADMSG && strstr(e.msg, "expected a comment line and a key line"), "1 line: '%s'", e.msg);
	r = pk_minisign_seckey__parse(&sk, MS_SEC + 9, strlen(MS_SEC) - 9, NULL, &e);
	CHECK(t, r == -EBADMSG && strstr(e.msg, "does not start with"), "prefix: '%s'", e.msg);
	r = pk_minisign_seckey__parse(&sk, MS_PUB, strlen(MS_PUB), NULL, &e);
	CHECK(t, r == -EBADMSG && strstr(e.msg, "decodes to 42 bytes, expected 158"), "a public key: '%s'", e.msg);
	PASS(t);
}

static void test_public_keys(void)
{
	static const struct {
		const char *name, *text, *reason;
	} bad[] = {
		{ "empty", "", "expected a comment line and a key line" },
		{ "3 lines", "untrusted comment: x\nRWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5\nx\n",
		  "expected a comment line and a key line" },
		{ "comment only", "untrusted comment: x\n", "comment line without a key line" },
		{ "prefix", "comment: x\nRWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5\n",
		  "does not start with" },
		{ "base64", "RWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWh.5", "not valid base64" },
		{ "length", "RWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorB", "decodes to 39 bytes" },
		{ "algorithm", "RVSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5",
		  "unsupported signature algorithm 'ET'" },
		{ "signature line", "RUSXAcqMiUYtB7m7wSJlq/0K41qoaX/ngUc2wC61SUHOUX+2Fqf5CFsapJ8sMVsZOAWUPXCkB0rn3pI4Gafeu8/6/K9nJuJQUgg=",
		  "base64 line is 100 characters, expected 56" },
	};
	const char *t = "minisign/public-keys";
	struct pk_minisign_pubkey pk, pk2;
	struct pk_error e = { 0 };
	char text[PK_MINISIGN_PUBKEY_TEXT_LEN];
	int r;

	CHECK(t, !pk_minisign_pubkey__parse(&pk, MS_PUB, strlen(MS_PUB), &e), "%s", e.msg);
	/* CRLF and a missing final newline are fine */
	r = pk_minisign_pubkey__parse(&pk2,
				      "untrusted comment: x\r\nRWSXAcqMiUYtB9WzC2NJ82Gpk4OD3SynuvKfISgGDagG7nX0PorBWhu5\r\n",
				      78, &e);
	CHECK(t, r == 0 && pk_minisign_pubkey__equal(&pk, &pk2), "CRLF: %s", e.msg);
	r = pk_minisign_pubkey__parse(&pk2, MS_PUB, strlen(MS_PUB) - 1, &e);
	CHECK(t, r == 0 && pk_minisign_pubkey__equal(&pk, &pk2), "no final newline: %s", e.msg);
	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		r = pk_minisign_pubkey__parse(&pk2, bad[i].text, strlen(bad[i].text), &e);
		if (r != -EBADMSG || !strstr(e.msg, bad[i].reason)) {
			FAIL(t, "%s: %d '%s', want '%s'", bad[i].name, r, e.msg, bad[i].reason);
			return;
		}
	}
	CHECK(t, pk_minisign_pubkey__format(&pk, "two\nlines", text, sizeof(text)) == -EINVAL, "comment");
	CHECK(t, pk_minisign_pubkey__format(&pk, NULL, text, 60) == -ENAMETOOLONG, "short buffer");
	PASS(t);
}

static void test_index_comment(void)
{
	static const char *const bad[] = {
		"",
		"probekit-index",
		"probekit-index version=17 expires=1796000000",
		"probekit-index version=017 expires=1796000000 sha256=" "ab" "00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=+17 expires=1796000000 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=17 expires=-1 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=17  expires=1796000000 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=17 expires=1796000000 sha256=AB00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=17 expires=1796000000 sha256=ab0000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=17 expires=1796000000 sha256=ab00000000000000000000000000000000000000000000000000000000000000 ",
		"probekit-index version=17 expires=1796000000 sha256=ab000000000000000000000000000000000000000000000000000000000000000",
		"probekit-index expires=1796000000 version=17 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=18446744073709551616 expires=1 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
		"probekit-index version=1 expires=9223372036854775808 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
		"Probekit-index version=1 expires=1 sha256=ab00000000000000000000000000000000000000000000000000000000000000",
	};
	const char *t = "minisign/index-comment";
	uint8_t sha[32], got[32];
	char buf[PK_MINISIGN_INDEX_COMMENT_LEN];
	struct pk_error e = { 0 };
	uint64_t v;
	int64_t x;
	int r;

	for (int i = 0; i < 32; i++)
		sha[i] = i * 7 + 1;
	CHECK(t, !pk_minisign__format_index_comment(17, 1796000000, sha, buf, sizeof(buf)), "format");
	CHECK_STR(t, buf, "probekit-index version=17 expires=1796000000 sha256="
			  "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da");
	r = pk_minisign__parse_index_comment(buf, &v, &x, got, &e);
	CHECK(t, r == 0 && v == 17 && x == 1796000000 && !memcmp(sha, got, 32), "parse: %s", e.msg);
	CHECK(t, !pk_minisign__format_index_comment(UINT64_MAX, INT64_MAX, sha, buf, sizeof(buf)), "max");
	r = pk_minisign__parse_index_comment(buf, &v, &x, got, &e);
	CHECK(t, r == 0 && v == UINT64_MAX && x == INT64_MAX, "max: %s", e.msg);
	CHECK(t, !pk_minisign__format_index_comment(0, 0, sha, buf, sizeof(buf)), "zero");
	r = pk_minisign__parse_index_comment(buf, &v, &x, got, &e);
	CHECK(t, r == 0 && v == 0 && x == 0, "zero: %s", e.msg);
	CHECK(t, pk_minisign__format_index_comment(1, -1, sha, buf, sizeof(buf)) == -EINVAL, "negative expiry");
	CHECK(t, pk_minisign__format_index_comment(1, 1, sha, buf, 40) == -ENAMETOOLONG, "short buffer");
	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		r = pk_minisign__parse_index_comment(bad[i], &v, &x, got, &e);
		if (r != -EBADMSG || v || x || !e.msg[0]) {
			FAIL(t, "accepted or no reason: '%s' (%d, '%s')", bad[i], r, e.msg);
			return;
		}
	}
	PASS(t);
}

static void test_rotation(void)
{
	const char *t = "minisign/key-rotation";
	char pub[4200], sec[4200], *next_text = NULL, *sig = NULL, *sig2 = NULL;
	struct pk_minisign_seckey *cur = NULL, *next_sk = NULL;
	struct pk_minisign_pubkey cur_pk, next_pk, got;
	struct pk_error e = { 0 };
	PK_MINISIGN_KEYGEN_OPTS(o);
	size_t sig_len, sig2_len;
	int r;

	CHECK(t, !pk_minisign_seckey__parse(&cur, MS_SEC, strlen(MS_SEC), NULL, &e), "%s", e.msg);
	pk_minisign_seckey__pubkey(cur, &cur_pk);
	snprintf(pub, sizeof(pub), "%s/next.pub", tmp);
	snprintf(sec, sizeof(sec), "%s/next.sec", tmp);
	CHECK(t, !pk_minisign__keygen(pub, sec, &o, &e), "keygen: %s", e.msg);
	CHECK(t, !pk_minisign_pubkey__load(&next_pk, pub, &e), "%s", e.msg);
	CHECK(t, !pk_minisign_seckey__load(&next_sk, sec, NULL, &e), "%s", e.msg);

	r = pk_minisign__sign_key(cur, &next_pk, &next_text, &sig, &sig_len, &e);
	CHECK(t, r == 0, "sign_key: %s", e.msg);
	r = pk_minisign__verify_key(&cur_pk, next_text, strlen(next_text), sig, sig_len, &got, &e);
	CHECK(t, r == 0 && pk_minisign_pubkey__equal(&got, &next_pk), "verify_key: %s", e.msg);
	/* the next key cannot vouch for itself */
	r = pk_minisign__verify_key(&next_pk, next_text, strlen(next_text), sig, sig_len, &got, &e);
	CHECK(t, r == -EKEYREJECTED, "next key vouched for itself: %d", r);
	/* another key's text under this signature */
	{
		char *other = strdup(next_text);
		char *p = strchr(other, '\n') + 20;

		*p = *p == 'A' ? 'B' : 'A';
		r = pk_minisign__verify_key(&cur_pk, other, strlen(other), sig, sig_len, &got, &e);
		free(other);
		CHECK(t, r == -EKEYREJECTED || r == -EBADMSG, "altered next key accepted: %d", r);
	}
	/* a signature over the same text for another purpose (another trusted comment) */
	r = pk_minisign__sign(cur, next_text, strlen(next_text), "something else", &sig2, &sig2_len, &e);
	CHECK(t, r == 0, "%s", e.msg);
	r = pk_minisign__verify_key(&cur_pk, next_text, strlen(next_text), sig2, sig2_len, &got, &e);
	CHECK(t, r == -EKEYREJECTED && strstr(e.msg, "probekit-next-key"), "other comment: %d '%s'", r, e.msg);
	free(sig2);
	free(sig);
	free(next_text);
	pk_minisign_seckey__free(cur);
	pk_minisign_seckey__free(next_sk);
	PASS(t);
}

static void test_keygen_files(void)
{
	const char *t = "minisign/keygen-overwrite";
	char pub[4200], sec[4200], *a = NULL, *b = NULL;
	struct pk_error e = { 0 };
	PK_MINISIGN_KEYGEN_OPTS(o);
	PK_MINISIGN_KEYGEN_OPTS(force, .force = true);
	size_t la, lb;
	int r;

	snprintf(pub, sizeof(pub), "%s/k.pub", tmp);
	snprintf(sec, sizeof(sec), "%s/k.sec", tmp);
	CHECK(t, !pk_minisign__keygen(pub, sec, &o, &e), "%s", e.msg);
	CHECK(t, !pk_file__read(sec, &a, &la, 4096), "read");
	r = pk_minisign__keygen(pub, sec, &o, &e);
	CHECK(t, r == -EEXIST && strstr(e.msg, "exists"), "overwrote: %d '%s'", r, e.msg);
	CHECK(t, !pk_file__read(sec, &b, &lb, 4096) && la == lb && !memcmp(a, b, la), "secret changed");
	free(b);
	b = NULL;
	CHECK(t, !pk_minisign__keygen(pub, sec, &force, &e), "force: %s", e.msg);
	CHECK(t, !pk_file__read(sec, &b, &lb, 4096) && (la != lb || memcmp(a, b, la)), "force kept the key");
	free(a);
	free(b);
	r = pk_minisign__keygen(pub, pub, &force, &e);
	CHECK(t, r == -EINVAL, "same path: %d", r);
	PASS(t);
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		FAIL("minisign/setup", "mkdtemp");
		return UNIT_EXIT();
	}
	test_real_minisign_files();
	test_round_trip();
	test_sign_refusals();
	test_malformed_signatures();
	test_rejections();
	test_secret_keys();
	test_public_keys();
	test_index_comment();
	test_rotation();
	test_keygen_files();
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd))
			printf("note: cannot remove %s\n", tmp);
	}
	return UNIT_EXIT();
}
