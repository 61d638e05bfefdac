/* `probekit __canary`: internal, run by the self-check (see selfcheck.h). */
#include "cli.h"
#include "agent/selfcheck.h"

int cmd_canary(int argc, char **argv)
{
	return pk_canary__main(argc - 1, argv + 1);
}
