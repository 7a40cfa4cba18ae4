/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport drivers (mk_transport.h): what a segment asks for, checked, then handed to the
 * RDMA driver or answered here for the local transport, which needs nothing registered.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mk_err.h"
#include "mk_rdma.h"
#include "mk_transport.h"

static bool
wants_local(const char *want)
{
	return want == NULL || want[0] == '\0' || strcmp(want, "none") == 0;
}

/* Kernel RDMA device names: mlx5_0, rxe0, siw_eth0, irdma-x722.1 */
static bool
device_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '-' || c == '.';
}

int
mk_transport_check(const char *want, unsigned int port, char *err, size_t errlen)
{
	size_t i, len;

	if (port > UINT8_MAX)
		return mk_errf(err, errlen, -EINVAL, "RDMA port %u: 1..255 (0 = %d)", port,
			MK_TRANSPORT_PORT_DEFAULT);
	if (wants_local(want) || strcmp(want, "auto") == 0)
		return 0;
	len = strnlen(want, MK_TRANSPORT_NAME_SIZE);
	if (len == MK_TRANSPORT_NAME_SIZE)
		return mk_errf(err, errlen, -EINVAL, "RDMA device name longer than %d characters",
			MK_TRANSPORT_NAME_SIZE - 1);
	for (i = 0; i < len; i++)
		if (!device_char(want[i]))
			return mk_errf(err, errlen, -EINVAL, "RDMA device '%s': letters, digits,"
				" '_', '-' and '.' only (or \"auto\", \"none\")", want);
	return 0;
}

int
mk_transport_devices(char (*names)[MK_TRANSPORT_NAME_SIZE], unsigned int max, char *err,
	size_t errlen)
{
	if (names == NULL && max > 0)
		return mk_errf(err, errlen, -EINVAL, "no room for device names");
	return mk_rdma_devices(names, max, err, errlen);
}

int
mk_transport_register(const char *want, unsigned int port, const char *endpoint,
	void *addr, uint64_t len, struct mk_transport_reg *out, char *err, size_t errlen)
{
	size_t ep_len = endpoint != NULL ? strnlen(endpoint, MK_TRANSPORT_ENDPOINT_SIZE) : 0;
	int rc;

	if (out == NULL)
		return mk_errf(err, errlen, -EINVAL, "no registration to fill in");
	memset(out, 0, sizeof(*out));
	out->state = MK_TRANSPORT_FAILED;
	if (addr == NULL || len == 0)
		return mk_errf(err, errlen, -EINVAL, "no range to register");
	if (ep_len == MK_TRANSPORT_ENDPOINT_SIZE)
		return mk_errf(err, errlen, -EINVAL, "endpoint longer than %d bytes",
			MK_TRANSPORT_ENDPOINT_SIZE - 1);
	rc = mk_transport_check(want, port, err, errlen);
	if (rc != 0)
		return rc;
	if (port == 0)
		port = MK_TRANSPORT_PORT_DEFAULT;
	if (wants_local(want)) {
		out->state = MK_TRANSPORT_NONE;
		out->addr = addr;
		out->len = len;
		if (ep_len > 0)
			memcpy(out->endpoint, endpoint, ep_len + 1);
		return 0;
	}
	return mk_rdma_register(want, (uint8_t)port, ep_len > 0 ? endpoint : NULL, addr, len,
		out, err, errlen);
}

int
mk_transport_deregister(struct mk_transport_reg *r)
{
	int rc = 0;

	if (r == NULL)
		return 0;
	if (r->nb_devices > 0)
		rc = mk_rdma_deregister(r);
	r->nb_devices = 0;
	r->rkey = 0;
	r->state = MK_TRANSPORT_NONE;
	r->verbs = NULL;
	return rc;
}

const char *
mk_transport_driver_name(const struct mk_transport_reg *r)
{
	return r != NULL && r->state == MK_TRANSPORT_REGISTERED ? "rdma" : "local";
}

const char *
mk_transport_state_name(enum mk_transport_state state)
{
	switch (state) {
	case MK_TRANSPORT_NONE: return "none";
	case MK_TRANSPORT_REGISTERED: return "registered";
	case MK_TRANSPORT_UNAVAILABLE: return "unavailable";
	case MK_TRANSPORT_FAILED: return "failed";
	default: return "unknown";
	}
}
