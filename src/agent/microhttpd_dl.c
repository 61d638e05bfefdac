/* libmicrohttpd through dlopen (common/dl.h): the symbol table and its one loader
 * entry. See microhttpd_dl.h for why it is not linked. */
#include "agent/microhttpd_dl.h"
#include "common/dl.h"

static struct pk_microhttpd mhd;

#define SYM(field, sym) PK_DL_SYM(struct pk_microhttpd, field, sym)
static const struct pk_dl_sym mhd_syms[] = {
	SYM(start_daemon, MHD_start_daemon),
	SYM(stop_daemon, MHD_stop_daemon),
	SYM(create_response_from_buffer, MHD_create_response_from_buffer),
	SYM(add_response_header, MHD_add_response_header),
	SYM(queue_response, MHD_queue_response),
	SYM(destroy_response, MHD_destroy_response),
};
#undef SYM

static struct pk_dl mhd_dl = {
	.lib = "libmicrohttpd",
	.package = "libmicrohttpd12",
	.soname = PK_LIBMICROHTTPD_SONAME,
	.env = "PROBEKIT_LIBMICROHTTPD",
	.kind = "libmicrohttpd 0.9",
	.syms = mhd_syms,
	.nr_syms = PK_ARRAY_SIZE(mhd_syms),
	.table = &mhd,
	PK_DL_INIT,
};

const struct pk_microhttpd *pk_microhttpd__load(struct pk_error *err)
{
	return pk_dl__load(&mhd_dl, "serving metrics", err) ? NULL : &mhd;
}
