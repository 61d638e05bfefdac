/* PLACEHOLDER until the BTF issue lands. */
#include "cli.h"

int cmd_btf_min(int argc, char **argv)
{
	pk_err("'btf min' is not built yet");
	return PK_EXIT_ERROR;
}
