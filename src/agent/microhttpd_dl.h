/* libmicrohttpd's entry points, opened with dlopen when `run --metrics` starts its
 * HTTP endpoint (src/agent/metrics.c); never linked. */
#ifndef PK_MICROHTTPD_DL_H
#define PK_MICROHTTPD_DL_H

/* Why not linked: the endpoint is off by default, and an agent started without it
 * must neither need the package on the node nor pay for loading it. (On Debian
 * its own dependencies, gnutls and friends, come with libcurl already; what a
 * link would add is one more package every node must carry.) Looked up by its
 * soname (libmicrohttpd.so.12) when first needed, or at PROBEKIT_LIBMICROHTTPD.
 * The header gives types and constants only. */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/pk.h"

#define PK_LIBMICROHTTPD_SONAME "libmicrohttpd.so.12"

struct pk_microhttpd {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

/* The library's entry points, resolved once per process. Returns NULL when the
 * library or one of its symbols cannot be found, with the reason in err
 * ("serving metrics needs libmicrohttpd (Debian: libmicrohttpd12): ..."). */
const struct pk_microhttpd *pk_microhttpd__load(struct pk_error *err);

#endif
