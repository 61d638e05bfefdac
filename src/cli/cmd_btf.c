/* PLACEHOLDER until the BTF issue lands: `probekit btf` is not built yet. */
#include "cli.h"

int cmd_btf(int argc, char **argv)
{
	pk_err("'btf' is not built yet");
	return PK_EXIT_ERROR;
}
