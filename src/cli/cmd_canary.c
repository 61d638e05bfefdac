/* `probekit __canary`: internal and not in --help. The self-check runs the agent's
 * own binary under this name to make one event of each kind (selfcheck.h). */
#include "cli.h"
#include "agent/selfcheck.h"

int cmd_canary(int argc, char **argv)
{
	return pk_canary__main(argc - 1, argv + 1);
}
