/* minisign signatures for the repository's index, with libsodium alone: key files,
 * signing (prehashed `ED`), verification (`ED` and legacy `Ed`), the index's trusted
 * comment and key rotation. Interoperable both ways with the `minisign` tool. */
#ifndef PK_REPO_MINISIGN_H
#define PK_REPO_MINISIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

/*
 * The formats (minisign 0.11, checked against /usr/bin/minisign):
 *   public key  "untrusted comment: ...\n" base64("Ed" | key id (8) | Ed25519 pk (32)) "\n"
 *   secret key  "untrusted comment: ...\n" base64("Ed" | kdf ("Sc" scrypt, or 0 0 for
 *               none) | "B2" | salt (32) | opslimit (8, LE) | memlimit (8, LE) |
 *               key id (8) | sk (64) | chk (32)) "\n", chk = BLAKE2b-256("Ed" | key id | sk);
 *               with scrypt, key id | sk | chk are XORed with 104 bytes of
 *               crypto_pwhash_scryptsalsa208sha256(password, salt, opslimit, memlimit).
 *               `minisign -G -W` writes chk as zeros (and never checks it without a
 *               KDF): we accept that, but always check that sk's public half is the
 *               one its seed makes, so a damaged key is refused either way.
 *   signature   "untrusted comment: ...\n" base64("ED" | key id | Ed25519(BLAKE2b-512(data)))
 *               "\ntrusted comment: TEXT\n" base64(Ed25519(signature (64) | TEXT)) "\n"
 *               (legacy "Ed": the signature is over the data itself).
 * The key id is 8 random bytes; minisign shows it as the little-endian 64-bit number
 * in upper-case hex without leading zeros ("72D46898CCA0197"), and so do we.
 */
#define PK_MINISIGN_KEYID_BYTES 8
#define PK_MINISIGN_PK_BYTES 32
#define PK_MINISIGN_KEYID_STR_LEN 17		/* 16 hex digits + NUL */
#define PK_MINISIGN_PUBKEY_B64_LEN 57		/* base64 of 42 bytes (56) + NUL */
#define PK_MINISIGN_PUBKEY_TEXT_LEN 1200	/* comment line (<= 1024) + key line */
#define PK_MINISIGN_TRUSTED_COMMENT_MAX 1024	/* bytes of TEXT, without the prefix */
#define PK_MINISIGN_SIG_MAX 4096		/* a signature file larger than this is refused */

struct pk_minisign_pubkey {
	uint8_t id[PK_MINISIGN_KEYID_BYTES];
	uint8_t pk[PK_MINISIGN_PK_BYTES];
};

/* the key id as minisign prints it; buf holds PK_MINISIGN_KEYID_STR_LEN */
const char *pk_minisign__key_id_str(const uint8_t id[PK_MINISIGN_KEYID_BYTES], char *buf);

/* a public key file's text (comment line + base64 line) or a bare base64 line
 * ("RWQ..."); text need not be NUL-terminated. -EBADMSG with the reason. */
int pk_minisign_pubkey__parse(struct pk_minisign_pubkey *pk, const char *text, size_t len,
			      struct pk_error *err);
int pk_minisign_pubkey__load(struct pk_minisign_pubkey *pk, const char *path, struct pk_error *err);
/* the bare base64 line, no newline; size >= PK_MINISIGN_PUBKEY_B64_LEN */
int pk_minisign_pubkey__base64(const struct pk_minisign_pubkey *pk, char *buf, size_t size);
/* the file text minisign writes: "untrusted comment: COMMENT\nBASE64\n"; comment NULL
 * gives minisign's own "minisign public key <ID>". -ENAMETOOLONG when size is short,
 * -EINVAL for a comment that is not one printable line. */
int pk_minisign_pubkey__format(const struct pk_minisign_pubkey *pk, const char *comment, char *buf,
			       size_t size);
bool pk_minisign_pubkey__equal(const struct pk_minisign_pubkey *a, const struct pk_minisign_pubkey *b);

/* A secret key, opaque: held in sodium_malloc'd memory, wiped by __free. */
struct pk_minisign_seckey;

/* text need not be NUL-terminated; password (NUL-terminated) is used only when the key
 * is scrypt-encrypted (NULL there: -ENOKEY "needs a password"). A wrong password is
 * -EKEYREJECTED; any other shape, algorithm or damage -EBADMSG. */
int pk_minisign_seckey__parse(struct pk_minisign_seckey **sk, const char *text, size_t len,
			      const char *password, struct pk_error *err);
int pk_minisign_seckey__load(struct pk_minisign_seckey **sk, const char *path, const char *password,
			     struct pk_error *err);
void pk_minisign_seckey__free(struct pk_minisign_seckey *sk);
void pk_minisign_seckey__pubkey(const struct pk_minisign_seckey *sk, struct pk_minisign_pubkey *pk);
/* the same key's unencrypted secret key file text (for tests and keygen); malloc'd */
int pk_minisign_seckey__format(const struct pk_minisign_seckey *sk, const char *comment,
			       char **text, size_t *len);

struct pk_minisign_keygen_opts {
	size_t sz;
	bool force;		/* replace existing files (default: refuse, -EEXIST) */
	const char *comment;	/* the public key's untrusted comment (default minisign's) */
};
#define PK_MINISIGN_KEYGEN_OPTS(name, ...) \
	struct pk_minisign_keygen_opts name = { .sz = sizeof(struct pk_minisign_keygen_opts), __VA_ARGS__ }

/* A new key pair with a random key id: the public key file (0644) and an unencrypted
 * secret key file (0600), each written atomically. Without opts->force an existing
 * file is never replaced (-EEXIST), and nothing is written then. */
int pk_minisign__keygen(const char *pub_path, const char *sec_path,
			const struct pk_minisign_keygen_opts *opts, struct pk_error *err);

/* The 4-line signature file minisign writes, prehashed ("ED"); sig_text is malloc'd
 * and NUL-terminated, sig_len excludes the NUL. trusted_comment must be one line of
 * printable text (tab allowed, as minisign's own default has), at most
 * PK_MINISIGN_TRUSTED_COMMENT_MAX bytes; NULL gives "timestamp:<now>". */
int pk_minisign__sign(const struct pk_minisign_seckey *sk, const void *data, size_t len,
		      const char *trusted_comment, char **sig_text, size_t *sig_len,
		      struct pk_error *err);

/* Checks sig_text (untrusted, not NUL-terminated, at most PK_MINISIGN_SIG_MAX bytes)
 * against data: "ED" or legacy "Ed"; the key id must be pk's (-EKEYREJECTED "signed by
 * key X, not Y"), then the signature (-EKEYREJECTED), then the global signature over
 * the trusted comment (-EKEYREJECTED). Malformed files: -EBADMSG with the reason.
 * *trusted_comment (may be NULL) is set, malloc'd, only when everything verified. */
int pk_minisign__verify(const struct pk_minisign_pubkey *pk, const void *data, size_t len,
			const char *sig_text, size_t sig_len, char **trusted_comment,
			struct pk_error *err);

/*
 * The index's trusted comment, signed with index.json:
 *   "probekit-index version=17 expires=1796000000 sha256=<64 lower-case hex>"
 * version only grows (rollback), expires is a Unix time (freeze), sha256 is
 * index.json's (the signature covers BLAKE2b of the file; the SHA256 lets a client
 * that already has the file say which one it trusts). Parsing is strict: that exact
 * order, single spaces, decimal without sign or leading zeros, nothing else; text is
 * NUL-terminated (what pk_minisign__verify returns). The caller checks version and
 * expiry against what it has seen and the clock; this only reads them.
 */
#define PK_MINISIGN_INDEX_COMMENT_LEN 160
int pk_minisign__format_index_comment(uint64_t version, int64_t expires, const uint8_t sha256[32],
				      char *buf, size_t len);
int pk_minisign__parse_index_comment(const char *text, uint64_t *version, int64_t *expires,
				     uint8_t sha256_out[32], struct pk_error *err);

/*
 * Key rotation. The rule: an index may carry `next_key` (a public key file's text)
 * and `next_key_sig`, a minisign signature by the key that signs the index over
 * exactly that text, with the trusted comment "probekit-next-key <ID>" naming the
 * next key's id. A client that trusts the current key and has verified the index
 * with it may then also trust the next key (and should, from the first index the
 * next key signs, keep only that one). The next key never vouches for itself.
 */
int pk_minisign__sign_key(const struct pk_minisign_seckey *sk, const struct pk_minisign_pubkey *next_pk,
			  char **next_key_text, char **sig_text, size_t *sig_len, struct pk_error *err);
/* next_key_text as the index carries it (not NUL-terminated); on success *next_pk is
 * the key it names. -EKEYREJECTED when pk did not sign it or the comment names another
 * key; -EBADMSG for malformed text. */
/* The key id a signature file names, read without verifying anything: only to
 * tell "signed by another key" from "a signature that does not match", never to
 * trust the file. */
int pk_minisign__sig_key_id(const char *sig_text, size_t sig_len,
			    uint8_t id[PK_MINISIGN_KEYID_BYTES], struct pk_error *err);

int pk_minisign__verify_key(const struct pk_minisign_pubkey *pk, const char *next_key_text,
			    size_t next_key_len, const char *sig_text, size_t sig_len,
			    struct pk_minisign_pubkey *next_pk, struct pk_error *err);

#endif
