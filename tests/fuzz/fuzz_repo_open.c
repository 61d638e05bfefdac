/* libFuzzer target for what an agent reads from its cache and its repositories
 * before believing anything: pk_repo__open over given bytes (a signature file and
 * index.json: the signature, the trusted comment, the digest, then the index) and
 * the rollback state file (pk_repo__state). The first byte picks which. For the
 * first, the next two bytes are the signature's length. The seeds hold an index
 * signed by the key below. Aborts on a broken invariant. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo/repo.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* the key of the seeds (probekit repo keygen) */
static const char PUB[] =
	"untrusted comment: minisign public key B41CA2C2C27DCF1D\n"
	"RWQdz33CwqIctFbs3FCCEMJPo9DuDX2SZy4OzYR+47cWyFqHptmu9681\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pk_minisign_pubkey pub;
	static bool have_pub;
	static char state[64];
	struct pk_error e = { 0 };
	int rc;

	if (!have_pub) {
		REQUIRE(!pk_minisign_pubkey__parse(&pub, PUB, sizeof(PUB) - 1, &e));
		snprintf(state, sizeof(state), "/tmp/fuzz_repo_open.%d", (int)getpid());
		have_pub = true;
	}
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* the rollback state: any bytes, read as the file it is */
		uint64_t seen = 0;
		int fd = open(state, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		REQUIRE(fd >= 0);
		REQUIRE(write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
		close(fd);
		rc = pk_repo__state(state, "B41CA2C2C27DCF1D", "http://r.example/", 5, false, &seen, &e);
		REQUIRE(rc == 0 || rc == -ESTALE);
		REQUIRE(rc == 0 ? seen <= 5 : seen > 5 && e.msg[0]);
		unlink(state);
		return 0;
	}
	if (size < 3)
		return 0;
	{
		size_t sig_len = (size_t)data[1] | (size_t)data[2] << 8;
		const char *sig = (const char *)data + 3, *ix_data;
		struct pk_index *ix = NULL;

		if (sig_len > size - 3)
			sig_len = size - 3;
		ix_data = sig + sig_len;
		{
			PK_REPO_OPEN_OPTS(oo, .pub = &pub, .allow_expired = true, .index_data = ix_data,
					  .index_len = size - 3 - sig_len, .sig_data = sig, .sig_len = sig_len);

			rc = pk_repo__open("http://r.example/", &oo, &ix, &e);
		}
		REQUIRE(memchr(e.msg, 0, sizeof(e.msg)));
		REQUIRE(rc ? !ix && e.msg[0] : ix && ix->version >= 1);
		pk_index__free(ix);
	}
	return 0;
}
