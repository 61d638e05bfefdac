/* minisign's key and signature formats with libsodium alone (see minisign.h for the
 * byte layouts). Every file read here may come from outside: parsing is bounded,
 * needs no NUL terminator and says which shape was wrong. Never prints. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/pk.h"
#include "repo/minisign.h"

#define COMMENT_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define COMMENT_MAX 1024	/* minisign's COMMENTMAXBYTES: a longer line it cannot read */
#define SIG_BYTES 64
#define SIGSTRUCT_BYTES (2 + PK_MINISIGN_KEYID_BYTES + SIG_BYTES)			/* 74 */
#define PUBSTRUCT_BYTES (2 + PK_MINISIGN_KEYID_BYTES + PK_MINISIGN_PK_BYTES)	/* 42 */
#define SK_BYTES 64
#define CHK_BYTES 32
#define SALT_BYTES 32
#define KEYNUM_SK_BYTES (PK_MINISIGN_KEYID_BYTES + SK_BYTES + CHK_BYTES)		/* 104 */
#define SECSTRUCT_BYTES (2 + 2 + 2 + SALT_BYTES + 8 + 8 + KEYNUM_SK_BYTES)		/* 158 */
#define SEC_TEXT_MAX (COMMENT_MAX + 256)
#define PUB_TEXT_MAX (COMMENT_MAX + 128)
/* scrypt parameters a key may ask for: minisign's own are 2^25 and 1 GiB; more than
 * this is a damaged (or hostile) file, not a stronger key */
#define SCRYPT_OPSLIMIT_MAX (1ULL << 33)
#define SCRYPT_MEMLIMIT_MAX (4ULL << 30)
#define NEXT_KEY_COMMENT "probekit-next-key "

struct pk_minisign_seckey {
	uint8_t id[PK_MINISIGN_KEYID_BYTES];
	uint8_t sk[SK_BYTES];
};

struct line {
	const char *p;
	size_t len;
};

static int init_sodium(struct pk_error *err)
{
	if (sodium_init() < 0)
		return pk_error__set(err, -EIO, "libsodium cannot be initialised");
	return 0;
}

const char *pk_minisign__key_id_str(const uint8_t id[PK_MINISIGN_KEYID_BYTES], char *buf)
{
	uint64_t v = 0;

	for (int i = PK_MINISIGN_KEYID_BYTES - 1; i >= 0; i--)
		v = v << 8 | id[i];
	snprintf(buf, PK_MINISIGN_KEYID_STR_LEN, "%" PRIX64, v);
	return buf;
}

static uint64_t le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Split text into at most max lines: "\n" ends a line, one "\r" before it is dropped
 * (a file that went through an editor on another system), the last line may lack its
 * newline. A NUL anywhere, or more lines than max, is an error: *n = max + 1 then.
 */
static int split_lines(const char *text, size_t len, struct line *lines, size_t max, size_t *n,
		       const char *what, struct pk_error *err)
{
	size_t i = 0, start = 0;

	*n = 0;
	if (memchr(text, 0, len))
		return pk_error__set(err, -EBADMSG, "%s: contains a NUL byte", what);
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t l = end - start;

		if (i == max) {
			*n = max + 1;
			return 0;
		}
		if (l && text[start + l - 1] == '\r')
			l--;
		lines[i].p = text + start;
		lines[i].len = l;
		i++;
		start = end + 1;
	}
	*n = i;
	return 0;
}

static bool has_prefix(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && !memcmp(l->p, prefix, n);
}

/* decode exactly want bytes of standard, padded base64 */
static int b64_decode(const struct line *l, uint8_t *out, size_t want, const char *what,
		      struct pk_error *err)
{
	uint8_t buf[256];
	size_t got = 0;

	if (l->len == 0)
		return pk_error__set(err, -EBADMSG, "%s: empty line where base64 was expected", what);
	if (l->len > sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) - 1 ||
	    want > sizeof(buf))
		return pk_error__set(err, -EBADMSG, "%s: base64 line is %zu characters, expected %zu",
				     what, l->len,
				     sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) - 1);
	if (sodium_base642bin(buf, sizeof(buf), l->p, l->len, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return pk_error__set(err, -EBADMSG, "%s: not valid base64", what);
	if (got != want) {
		sodium_memzero(buf, sizeof(buf));
		return pk_error__set(err, -EBADMSG, "%s: decodes to %zu bytes, expected %zu", what, got,
				     want);
	}
	memcpy(out, buf, want);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static void b64_encode(char *out, size_t size, const uint8_t *in, size_t len)
{
	sodium_bin2base64(out, size, in, len, sodium_base64_VARIANT_ORIGINAL);
}

/* for messages: two algorithm bytes, quoted when printable, else in hex */
static const char *alg_str(const uint8_t *a, char *buf, size_t size)
{
	if (a[0] >= 0x21 && a[0] < 0x7f && a[1] >= 0x21 && a[1] < 0x7f)
		snprintf(buf, size, "'%c%c'", a[0], a[1]);
	else
		snprintf(buf, size, "0x%02x%02x", a[0], a[1]);
	return buf;
}

static int check_comment_line(const struct line *l, const char *prefix, const char *what,
			      struct pk_error *err)
{
	if (!has_prefix(l, prefix))
		return pk_error__set(err, -EBADMSG, "%s: line does not start with \"%s\"", what, prefix);
	if (l->len + 1 > COMMENT_MAX)
		return pk_error__set(err, -EBADMSG, "%s: comment line longer than %d bytes", what,
				     COMMENT_MAX - 1);
	return 0;
}

/* one line of printable text: tab allowed (minisign's default trusted comment has
 * tabs), UTF-8 bytes allowed, other control characters and DEL not */
static bool printable_line(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* --- public keys --- */

int pk_minisign_pubkey__parse(struct pk_minisign_pubkey *pk, const char *text, size_t len,
			      struct pk_error *err)
{
	struct line lines[2];
	uint8_t raw[PUBSTRUCT_BYTES];
	const struct line *key;
	char a[16];
	size_t n;
	int r;

	memset(pk, 0, sizeof(*pk));
	if (len > PUB_TEXT_MAX)
		return pk_error__set(err, -EBADMSG, "public key: %zu bytes, more than a key file has",
				     len);
	r = split_lines(text, len, lines, 2, &n, "public key", err);
	if (r)
		return r;
	if (n == 0 || n > 2)
		return pk_error__set(err, -EBADMSG,
				     "public key: expected a comment line and a key line, or the key line alone");
	if (n == 2) {
		r = check_comment_line(&lines[0], COMMENT_PREFIX, "public key", err);
		if (r)
			return r;
		key = &lines[1];
	} else {
		if (has_prefix(&lines[0], COMMENT_PREFIX))
			return pk_error__set(err, -EBADMSG, "public key: comment line without a key line");
		key = &lines[0];
	}
	r = b64_decode(key, raw, sizeof(raw), "public key", err);
	if (r)
		return r;
	if (memcmp(raw, "Ed", 2))
		return pk_error__set(err, -EBADMSG, "public key: unsupported signature algorithm %s",
				     alg_str(raw, a, sizeof(a)));
	memcpy(pk->id, raw + 2, PK_MINISIGN_KEYID_BYTES);
	memcpy(pk->pk, raw + 2 + PK_MINISIGN_KEYID_BYTES, PK_MINISIGN_PK_BYTES);
	return 0;
}

int pk_minisign_pubkey__load(struct pk_minisign_pubkey *pk, const char *path, struct pk_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(pk, 0, sizeof(*pk));
	r = pk_file__read(path, &text, &len, PUB_TEXT_MAX);
	if (r == -EFBIG)
		return pk_error__set(err, -EBADMSG, "'%s': too large for a public key file", path);
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	r = pk_minisign_pubkey__parse(pk, text, len, err);
	free(text);
	if (r)
		return pk_error__set(err, r, "'%s': %s", path, pk_error__str(err));
	return 0;
}

int pk_minisign_pubkey__base64(const struct pk_minisign_pubkey *pk, char *buf, size_t size)
{
	uint8_t raw[PUBSTRUCT_BYTES];

	if (size < PK_MINISIGN_PUBKEY_B64_LEN)
		return -ENAMETOOLONG;
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->id, PK_MINISIGN_KEYID_BYTES);
	memcpy(raw + 2 + PK_MINISIGN_KEYID_BYTES, pk->pk, PK_MINISIGN_PK_BYTES);
	b64_encode(buf, size, raw, sizeof(raw));
	return 0;
}

static bool comment_ok(const char *comment)
{
	size_t n = strlen(comment);

	return n + sizeof(COMMENT_PREFIX) <= COMMENT_MAX && printable_line(comment, n);
}

int pk_minisign_pubkey__format(const struct pk_minisign_pubkey *pk, const char *comment, char *buf,
			       size_t size)
{
	char b64[PK_MINISIGN_PUBKEY_B64_LEN], id[PK_MINISIGN_KEYID_STR_LEN];
	int n;

	if (comment && !comment_ok(comment))
		return -EINVAL;
	pk_minisign_pubkey__base64(pk, b64, sizeof(b64));
	if (comment)
		n = snprintf(buf, size, COMMENT_PREFIX "%s\n%s\n", comment, b64);
	else
		n = snprintf(buf, size, COMMENT_PREFIX "minisign public key %s\n%s\n",
			     pk_minisign__key_id_str(pk->id, id), b64);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool pk_minisign_pubkey__equal(const struct pk_minisign_pubkey *a, const struct pk_minisign_pubkey *b)
{
	return !memcmp(a->id, b->id, sizeof(a->id)) && !memcmp(a->pk, b->pk, sizeof(a->pk));
}

/* --- secret keys --- */

static void seckey_chk(uint8_t chk[CHK_BYTES], const uint8_t *keynum_sk)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CHK_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&st, keynum_sk, PK_MINISIGN_KEYID_BYTES + SK_BYTES);
	crypto_generichash_final(&st, chk, CHK_BYTES);
}

static struct pk_minisign_seckey *seckey_new(void)
{
	struct pk_minisign_seckey *sk = sodium_malloc(sizeof(*sk));

	if (sk)
		sodium_memzero(sk, sizeof(*sk));
	return sk;
}

void pk_minisign_seckey__free(struct pk_minisign_seckey *sk)
{
	if (sk)
		sodium_free(sk);	/* wipes it */
}

void pk_minisign_seckey__pubkey(const struct pk_minisign_seckey *sk, struct pk_minisign_pubkey *pk)
{
	memcpy(pk->id, sk->id, sizeof(pk->id));
	memcpy(pk->pk, sk->sk + 32, sizeof(pk->pk));	/* Ed25519 sk = seed | pk */
}

int pk_minisign_seckey__parse(struct pk_minisign_seckey **out, const char *text, size_t len,
			      const char *password, struct pk_error *err)
{
	static const uint8_t kdf_none[2] = { 0, 0 };
	struct line lines[2];
	uint8_t *raw = NULL, *keynum_sk, chk[CHK_BYTES], *stream = NULL, pk[32], *sk2 = NULL;
	struct pk_minisign_seckey *sk = NULL;
	bool encrypted;
	char a[16];
	size_t n;
	int r;

	*out = NULL;
	r = init_sodium(err);
	if (r)
		return r;
	if (len > SEC_TEXT_MAX)
		return pk_error__set(err, -EBADMSG, "secret key: %zu bytes, more than a key file has",
				     len);
	r = split_lines(text, len, lines, 2, &n, "secret key", err);
	if (r)
		return r;
	if (n != 2)
		return pk_error__set(err, -EBADMSG,
				     "secret key: expected a comment line and a key line, found %s%zu lines",
				     n > 2 ? "more than " : "", n > 2 ? (size_t)2 : n);
	r = check_comment_line(&lines[0], COMMENT_PREFIX, "secret key", err);
	if (r)
		return r;
	raw = sodium_malloc(SECSTRUCT_BYTES);
	stream = sodium_malloc(KEYNUM_SK_BYTES);
	sk2 = sodium_malloc(SK_BYTES);
	sk = seckey_new();
	if (!raw || !stream || !sk || !sk2) {
		r = pk_error__set(err, -ENOMEM, "secret key: out of memory");
		goto done;
	}
	r = b64_decode(&lines[1], raw, SECSTRUCT_BYTES, "secret key", err);
	if (r)
		goto done;
	if (memcmp(raw, "Ed", 2)) {
		r = pk_error__set(err, -EBADMSG, "secret key: unsupported signature algorithm %s",
				  alg_str(raw, a, sizeof(a)));
		goto done;
	}
	if (memcmp(raw + 4, "B2", 2)) {
		r = pk_error__set(err, -EBADMSG, "secret key: unsupported checksum algorithm %s",
				  alg_str(raw + 4, a, sizeof(a)));
		goto done;
	}
	if (!memcmp(raw + 2, "Sc", 2)) {
		uint64_t ops = le64_load(raw + 6 + SALT_BYTES), mem = le64_load(raw + 14 + SALT_BYTES);

		encrypted = true;
		if (!password) {
			r = pk_error__set(err, -ENOKEY,
					  "secret key: encrypted with a password, and none was given");
			goto done;
		}
		if (ops < crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN || ops > SCRYPT_OPSLIMIT_MAX ||
		    mem < crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN || mem > SCRYPT_MEMLIMIT_MAX) {
			r = pk_error__set(err, -EBADMSG,
					  "secret key: scrypt limits out of range (opslimit %" PRIu64
					  ", memlimit %" PRIu64 ")", ops, mem);
			goto done;
		}
		if (crypto_pwhash_scryptsalsa208sha256(stream, KEYNUM_SK_BYTES, password,
						       strlen(password), raw + 6, ops, (size_t)mem)) {
			r = pk_error__set(err, -ENOMEM,
					  "secret key: scrypt failed (memlimit %" PRIu64 " bytes)", mem);
			goto done;
		}
		for (size_t i = 0; i < KEYNUM_SK_BYTES; i++)
			raw[SECSTRUCT_BYTES - KEYNUM_SK_BYTES + i] ^= stream[i];
	} else if (!memcmp(raw + 2, kdf_none, 2)) {
		encrypted = false;
	} else {
		r = pk_error__set(err, -EBADMSG, "secret key: unsupported key derivation %s",
				  alg_str(raw + 2, a, sizeof(a)));
		goto done;
	}
	keynum_sk = raw + SECSTRUCT_BYTES - KEYNUM_SK_BYTES;
	seckey_chk(chk, keynum_sk);
	if (sodium_memcmp(chk, keynum_sk + PK_MINISIGN_KEYID_BYTES + SK_BYTES, CHK_BYTES)) {
		/* minisign -G -W leaves chk zero, and minisign itself never checks it then */
		if (encrypted) {
			r = pk_error__set(err, -EKEYREJECTED, "secret key: wrong password");
			goto done;
		}
		if (!sodium_is_zero(keynum_sk + PK_MINISIGN_KEYID_BYTES + SK_BYTES, CHK_BYTES)) {
			r = pk_error__set(err, -EBADMSG, "secret key: checksum mismatch (damaged key)");
			goto done;
		}
	}
	/* the check that holds for every key, chk or not: seed and public half agree */
	crypto_sign_seed_keypair(pk, sk2, keynum_sk + PK_MINISIGN_KEYID_BYTES);
	if (sodium_memcmp(sk2, keynum_sk + PK_MINISIGN_KEYID_BYTES, SK_BYTES)) {
		r = pk_error__set(err, -EBADMSG,
				  "secret key: its public half does not match its seed (damaged key)");
		goto done;
	}
	memcpy(sk->id, keynum_sk, PK_MINISIGN_KEYID_BYTES);
	memcpy(sk->sk, keynum_sk + PK_MINISIGN_KEYID_BYTES, SK_BYTES);
	*out = sk;
	sk = NULL;
	r = 0;
done:
	sodium_memzero(chk, sizeof(chk));
	pk_minisign_seckey__free(sk);
	if (sk2)
		sodium_free(sk2);
	if (stream)
		sodium_free(stream);
	if (raw)
		sodium_free(raw);
	return r;
}

int pk_minisign_seckey__load(struct pk_minisign_seckey **sk, const char *path, const char *password,
			     struct pk_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*sk = NULL;
	r = pk_file__read(path, &text, &len, SEC_TEXT_MAX);
	if (r == -EFBIG)
		return pk_error__set(err, -EBADMSG, "'%s': too large for a secret key file", path);
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	r = pk_minisign_seckey__parse(sk, text, len, password, err);
	sodium_memzero(text, len);
	free(text);
	if (r)
		return pk_error__set(err, r, "'%s': %s", path, pk_error__str(err));
	return 0;
}

int pk_minisign_seckey__format(const struct pk_minisign_seckey *sk, const char *comment, char **text,
			       size_t *len)
{
	char id[PK_MINISIGN_KEYID_STR_LEN], *b64 = NULL, *out = NULL;
	uint8_t *raw = NULL;
	size_t b64_len = sodium_base64_ENCODED_LEN(SECSTRUCT_BYTES, sodium_base64_VARIANT_ORIGINAL);
	size_t size;
	int n, r = -ENOMEM;

	*text = NULL;
	*len = 0;
	if (comment && !comment_ok(comment))
		return -EINVAL;
	raw = sodium_malloc(SECSTRUCT_BYTES);
	b64 = sodium_malloc(b64_len);
	if (!raw || !b64)
		goto done;
	/* kdf none: salt and limits zero, as minisign -G -W writes them; but a real chk */
	memset(raw, 0, SECSTRUCT_BYTES);
	memcpy(raw, "Ed", 2);
	memcpy(raw + 4, "B2", 2);
	memcpy(raw + SECSTRUCT_BYTES - KEYNUM_SK_BYTES, sk->id, PK_MINISIGN_KEYID_BYTES);
	memcpy(raw + SECSTRUCT_BYTES - KEYNUM_SK_BYTES + PK_MINISIGN_KEYID_BYTES, sk->sk, SK_BYTES);
	seckey_chk(raw + SECSTRUCT_BYTES - CHK_BYTES, raw + SECSTRUCT_BYTES - KEYNUM_SK_BYTES);
	b64_encode(b64, b64_len, raw, SECSTRUCT_BYTES);
	size = COMMENT_MAX + b64_len + 2;
	out = malloc(size);
	if (!out)
		goto done;
	if (comment)
		n = snprintf(out, size, COMMENT_PREFIX "%s\n%s\n", comment, b64);
	else
		n = snprintf(out, size, COMMENT_PREFIX "minisign unencrypted secret key %s\n%s\n",
			     pk_minisign__key_id_str(sk->id, id), b64);
	if (n < 0 || (size_t)n >= size) {
		r = -ENAMETOOLONG;
		goto done;
	}
	*text = out;
	*len = n;
	out = NULL;
	r = 0;
done:
	if (out) {
		sodium_memzero(out, size);
		free(out);
	}
	if (b64)
		sodium_free(b64);
	if (raw)
		sodium_free(raw);
	return r;
}

/* --- key generation --- */

/* temp + fsync + rename (or link, to never replace), with the mode given: the common
 * helper writes 0644, and a secret key must never be readable by others, even briefly */
static int write_file(const char *path, const void *data, size_t len, mode_t mode, bool replace)
{
	char tmp[4096];
	const char *p = data;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);	/* created 0600 */
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode))
		r = -errno;
	while (len && !r) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += w;
		len -= w;
	}
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r) {
		if (replace)
			r = rename(tmp, path) ? -errno : 0;
		else
			r = link(tmp, path) ? -errno : 0;	/* EEXIST, atomically */
	}
	if (r || !replace)
		unlink(tmp);
	return r;
}

int pk_minisign__keygen(const char *pub_path, const char *sec_path,
			const struct pk_minisign_keygen_opts *opts, struct pk_error *err)
{
	struct pk_minisign_seckey *sk = NULL;
	struct pk_minisign_pubkey pk;
	char pub_text[PK_MINISIGN_PUBKEY_TEXT_LEN], *sec_text = NULL;
	const char *comment;
	size_t sec_len = 0;
	bool force;
	uint8_t seed_pk[32];
	int r;

	if (!PK_OPTS_VALID(opts, struct pk_minisign_keygen_opts))
		return pk_error__set(err, -EINVAL, "keygen: invalid options");
	force = PK_OPTS_GET(opts, force, false);
	comment = PK_OPTS_GET(opts, comment, NULL);
	if (comment && !comment_ok(comment))
		return pk_error__set(err, -EINVAL,
				     "comment must be one line of printable text, under %d bytes",
				     COMMENT_MAX - (int)sizeof(COMMENT_PREFIX));
	r = init_sodium(err);
	if (r)
		return r;
	if (!strcmp(pub_path, sec_path))
		return pk_error__set(err, -EINVAL, "the public and secret key files are the same '%s'",
				     pub_path);
	if (!force) {
		if (!access(sec_path, F_OK))
			return pk_error__set(err, -EEXIST, "'%s' exists (--force replaces it)", sec_path);
		if (!access(pub_path, F_OK))
			return pk_error__set(err, -EEXIST, "'%s' exists (--force replaces it)", pub_path);
	}
	sk = seckey_new();
	if (!sk)
		return pk_error__set(err, -ENOMEM, "out of memory");
	crypto_sign_keypair(seed_pk, sk->sk);
	randombytes_buf(sk->id, sizeof(sk->id));
	pk_minisign_seckey__pubkey(sk, &pk);
	r = pk_minisign_pubkey__format(&pk, comment, pub_text, sizeof(pub_text));
	if (!r)
		r = pk_minisign_seckey__format(sk, NULL, &sec_text, &sec_len);
	if (r) {
		pk_error__set(err, r, "cannot format the key files: %s", strerror(-r));
		goto done;
	}
	r = write_file(sec_path, sec_text, sec_len, 0600, force);
	if (r) {
		pk_error__set(err, r, "cannot write '%s': %s", sec_path, strerror(-r));
		goto done;
	}
	r = write_file(pub_path, pub_text, strlen(pub_text), 0644, force);
	if (r) {
		pk_error__set(err, r, "cannot write '%s': %s", pub_path, strerror(-r));
		unlink(sec_path);	/* ours, just written: a secret without its public half helps no one */
	}
done:
	if (sec_text) {
		sodium_memzero(sec_text, sec_len);
		free(sec_text);
	}
	pk_minisign_seckey__free(sk);
	return r;
}

/* --- signatures --- */

int pk_minisign__sign(const struct pk_minisign_seckey *sk, const void *data, size_t len,
		      const char *trusted_comment, char **sig_text, size_t *sig_len,
		      struct pk_error *err)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], sigstruct[SIGSTRUCT_BYTES], global[SIG_BYTES];
	char sig_b64[sodium_base64_ENCODED_LEN(SIGSTRUCT_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char global_b64[sodium_base64_ENCODED_LEN(SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char def[64], *out = NULL;
	uint8_t *msg = NULL;
	size_t tc_len, size;
	int n, r;

	*sig_text = NULL;
	*sig_len = 0;
	r = init_sodium(err);
	if (r)
		return r;
	if (!trusted_comment) {
		snprintf(def, sizeof(def), "timestamp:%lld", (long long)time(NULL));
		trusted_comment = def;
	}
	tc_len = strlen(trusted_comment);
	if (tc_len > PK_MINISIGN_TRUSTED_COMMENT_MAX)
		return pk_error__set(err, -EINVAL, "trusted comment: %zu bytes, at most %d", tc_len,
				     PK_MINISIGN_TRUSTED_COMMENT_MAX);
	if (!printable_line(trusted_comment, tc_len))
		return pk_error__set(err, -EINVAL,
				     "trusted comment: must be one line of printable text (no newline or control character)");

	crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
	memcpy(sigstruct, "ED", 2);
	memcpy(sigstruct + 2, sk->id, PK_MINISIGN_KEYID_BYTES);
	crypto_sign_detached(sigstruct + 2 + PK_MINISIGN_KEYID_BYTES, NULL, hash, sizeof(hash), sk->sk);

	msg = malloc(SIG_BYTES + tc_len);
	size = sizeof(COMMENT_PREFIX) + 64 + sizeof(sig_b64) + sizeof(TRUSTED_PREFIX) + tc_len +
	       sizeof(global_b64) + 4;
	out = malloc(size);
	if (!msg || !out) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto done;
	}
	memcpy(msg, sigstruct + 2 + PK_MINISIGN_KEYID_BYTES, SIG_BYTES);
	memcpy(msg + SIG_BYTES, trusted_comment, tc_len);
	crypto_sign_detached(global, NULL, msg, SIG_BYTES + tc_len, sk->sk);

	b64_encode(sig_b64, sizeof(sig_b64), sigstruct, sizeof(sigstruct));
	b64_encode(global_b64, sizeof(global_b64), global, sizeof(global));
	/* byte for byte what `minisign -S` writes for the same key and comment */
	n = snprintf(out, size,
		     COMMENT_PREFIX "signature from minisign secret key\n%s\n" TRUSTED_PREFIX "%s\n%s\n",
		     sig_b64, trusted_comment, global_b64);
	if (n < 0 || (size_t)n >= size) {
		r = pk_error__set(err, -EOVERFLOW, "signature does not fit its buffer");
		goto done;
	}
	*sig_text = out;
	*sig_len = n;
	out = NULL;
	r = 0;
done:
	free(out);
	free(msg);
	return r;
}

/* A signature file's four lines, the first checked, the second decoded into
 * sigstruct (algorithm, key id, signature): what verifying and naming the key
 * both start from. n gets the number of lines. */
static int sig_open(const char *sig_text, size_t sig_len, struct line lines[4], size_t *n,
		    uint8_t sigstruct[SIGSTRUCT_BYTES], struct pk_error *err)
{
	int r = init_sodium(err);

	if (r)
		return r;
	if (sig_len > PK_MINISIGN_SIG_MAX)
		return pk_error__set(err, -EBADMSG, "signature: %zu bytes, more than %d", sig_len,
				     PK_MINISIGN_SIG_MAX);
	r = split_lines(sig_text, sig_len, lines, 4, n, "signature", err);
	if (r)
		return r;
	if (*n != 4)
		return pk_error__set(err, -EBADMSG, "signature: expected 4 lines, found %s%zu",
				     *n > 4 ? "more than " : "", *n > 4 ? (size_t)4 : *n);
	r = check_comment_line(&lines[0], COMMENT_PREFIX, "signature", err);
	if (r)
		return r;
	return b64_decode(&lines[1], sigstruct, SIGSTRUCT_BYTES, "signature", err);
}

int pk_minisign__sig_key_id(const char *sig_text, size_t sig_len,
			    uint8_t id[PK_MINISIGN_KEYID_BYTES], struct pk_error *err)
{
	uint8_t sigstruct[SIGSTRUCT_BYTES];
	struct line lines[4];
	size_t n;
	int r = sig_open(sig_text, sig_len, lines, &n, sigstruct, err);

	if (r)
		return r;
	memcpy(id, sigstruct + 2, PK_MINISIGN_KEYID_BYTES);
	return 0;
}

int pk_minisign__verify(const struct pk_minisign_pubkey *pk, const void *data, size_t len,
			const char *sig_text, size_t sig_len, char **trusted_comment,
			struct pk_error *err)
{
	uint8_t sigstruct[SIGSTRUCT_BYTES], global[SIG_BYTES], hash[crypto_generichash_BYTES_MAX];
	char a[16], want[PK_MINISIGN_KEYID_STR_LEN], got[PK_MINISIGN_KEYID_STR_LEN];
	const uint8_t *sig = sigstruct + 2 + PK_MINISIGN_KEYID_BYTES;
	struct line lines[4];
	const char *tc;
	size_t n, tc_len;
	uint8_t *msg = NULL;
	char *out = NULL;
	bool hashed;
	int r;

	if (trusted_comment)
		*trusted_comment = NULL;
	r = sig_open(sig_text, sig_len, lines, &n, sigstruct, err);
	if (r)
		return r;
	if (!has_prefix(&lines[2], TRUSTED_PREFIX))
		return pk_error__set(err, -EBADMSG,
				     "signature: third line does not start with \"" TRUSTED_PREFIX "\"");
	r = b64_decode(&lines[3], global, sizeof(global), "signature: global signature", err);
	if (r)
		return r;
	if (!memcmp(sigstruct, "ED", 2))
		hashed = true;
	else if (!memcmp(sigstruct, "Ed", 2))
		hashed = false;
	else
		return pk_error__set(err, -EBADMSG, "signature: unsupported signature algorithm %s",
				     alg_str(sigstruct, a, sizeof(a)));
	tc = lines[2].p + strlen(TRUSTED_PREFIX);
	tc_len = lines[2].len - strlen(TRUSTED_PREFIX);

	if (memcmp(sigstruct + 2, pk->id, PK_MINISIGN_KEYID_BYTES))
		return pk_error__set(err, -EKEYREJECTED, "signed by key %s, not %s",
				     pk_minisign__key_id_str(sigstruct + 2, got),
				     pk_minisign__key_id_str(pk->id, want));
	if (hashed) {
		crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
		r = crypto_sign_verify_detached(sig, hash, sizeof(hash), pk->pk);
	} else {
		r = crypto_sign_verify_detached(sig, data, len, pk->pk);
	}
	if (r)
		return pk_error__set(err, -EKEYREJECTED,
				     "signature verification failed: the data is not what key %s signed",
				     pk_minisign__key_id_str(pk->id, want));
	msg = malloc(SIG_BYTES + tc_len);
	out = malloc(tc_len + 1);
	if (!msg || !out) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto done;
	}
	memcpy(msg, sig, SIG_BYTES);
	memcpy(msg + SIG_BYTES, tc, tc_len);
	if (crypto_sign_verify_detached(global, msg, SIG_BYTES + tc_len, pk->pk)) {
		r = pk_error__set(err, -EKEYREJECTED,
				  "trusted comment verification failed: the comment is not what key %s signed",
				  pk_minisign__key_id_str(pk->id, want));
		goto done;
	}
	memcpy(out, tc, tc_len);
	out[tc_len] = 0;
	if (trusted_comment) {
		*trusted_comment = out;
		out = NULL;
	}
	r = 0;
done:
	free(out);
	free(msg);
	return r;
}

/* --- the index's trusted comment --- */

#define INDEX_PREFIX "probekit-index"

int pk_minisign__format_index_comment(uint64_t version, int64_t expires, const uint8_t sha256[32],
				      char *buf, size_t len)
{
	char hex[65];
	int n;

	if (expires < 0)
		return -EINVAL;
	sodium_bin2hex(hex, sizeof(hex), sha256, 32);
	n = snprintf(buf, len, INDEX_PREFIX " version=%" PRIu64 " expires=%" PRId64 " sha256=%s",
		     version, expires, hex);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* a decimal without sign or leading zeros, up to max; *p moves past it */
static int parse_dec(const char **p, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = *s - '0';

		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

static bool eat(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n))
		return false;
	*p += n;
	return true;
}

int pk_minisign__parse_index_comment(const char *text, uint64_t *version, int64_t *expires,
				     uint8_t sha256_out[32], struct pk_error *err)
{
	const char *p = text;
	uint64_t v, e;

	*version = 0;
	*expires = 0;
	memset(sha256_out, 0, 32);
	if (!eat(&p, INDEX_PREFIX " "))
		return pk_error__set(err, -EBADMSG,
				     "trusted comment: does not start with \"" INDEX_PREFIX " \"");
	if (!eat(&p, "version="))
		return pk_error__set(err, -EBADMSG, "trusted comment: expected version= after \"%s\"",
				     INDEX_PREFIX);
	if (parse_dec(&p, UINT64_MAX, &v))
		return pk_error__set(err, -EBADMSG,
				     "trusted comment: version is not a decimal number (no sign, no leading zero)");
	if (!eat(&p, " expires="))
		return pk_error__set(err, -EBADMSG, "trusted comment: expected \" expires=\" after version");
	if (parse_dec(&p, INT64_MAX, &e))
		return pk_error__set(err, -EBADMSG,
				     "trusted comment: expires is not a decimal Unix time (no sign, no leading zero)");
	if (!eat(&p, " sha256="))
		return pk_error__set(err, -EBADMSG, "trusted comment: expected \" sha256=\" after expires");
	for (int i = 0; i < 64; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return pk_error__set(err, -EBADMSG,
					     "trusted comment: sha256 must be 64 lower-case hex digits");
	}
	if (p[64])
		return pk_error__set(err, -EBADMSG, "trusted comment: unexpected text after sha256");
	if (sodium_hex2bin(sha256_out, 32, p, 64, NULL, NULL, NULL))
		return pk_error__set(err, -EBADMSG, "trusted comment: sha256 is not hex");
	*version = v;
	*expires = (int64_t)e;
	return 0;
}

/* --- key rotation --- */

int pk_minisign__sign_key(const struct pk_minisign_seckey *sk, const struct pk_minisign_pubkey *next_pk,
			  char **next_key_text, char **sig_text, size_t *sig_len, struct pk_error *err)
{
	char text[PK_MINISIGN_PUBKEY_TEXT_LEN], tc[64], id[PK_MINISIGN_KEYID_STR_LEN];
	int r;

	*next_key_text = NULL;
	*sig_text = NULL;
	*sig_len = 0;
	r = pk_minisign_pubkey__format(next_pk, NULL, text, sizeof(text));
	if (r)
		return pk_error__set(err, r, "cannot format the next key");
	snprintf(tc, sizeof(tc), NEXT_KEY_COMMENT "%s", pk_minisign__key_id_str(next_pk->id, id));
	r = pk_minisign__sign(sk, text, strlen(text), tc, sig_text, sig_len, err);
	if (r)
		return r;
	*next_key_text = strdup(text);
	if (!*next_key_text) {
		free(*sig_text);
		*sig_text = NULL;
		*sig_len = 0;
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int pk_minisign__verify_key(const struct pk_minisign_pubkey *pk, const char *next_key_text,
			    size_t next_key_len, const char *sig_text, size_t sig_len,
			    struct pk_minisign_pubkey *next_pk, struct pk_error *err)
{
	struct pk_minisign_pubkey next;
	char want[64], id[PK_MINISIGN_KEYID_STR_LEN], *tc = NULL;
	int r;

	memset(next_pk, 0, sizeof(*next_pk));
	r = pk_minisign_pubkey__parse(&next, next_key_text, next_key_len, err);
	if (r)
		return pk_error__set(err, r, "next key: %s", pk_error__str(err));
	r = pk_minisign__verify(pk, next_key_text, next_key_len, sig_text, sig_len, &tc, err);
	if (r)
		return pk_error__set(err, r, "next key: %s", pk_error__str(err));
	snprintf(want, sizeof(want), NEXT_KEY_COMMENT "%s", pk_minisign__key_id_str(next.id, id));
	if (strcmp(tc, want)) {
		/* a signature over the key text made for another purpose: not a vouching */
		r = pk_error__set(err, -EKEYREJECTED,
				  "next key: the signature's trusted comment is not \"%s\"", want);
		free(tc);
		return r;
	}
	free(tc);
	*next_pk = next;
	return 0;
}
