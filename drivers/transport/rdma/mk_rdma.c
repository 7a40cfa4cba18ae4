/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RDMA transport driver: a segment's range registered with every matching device
 * through rdma-core's libibverbs (see mk_transport.h for what is registered, and when a
 * missing device is an error). Each verbs call goes through the table of mk_rdma.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mk_err.h"
#include "mk_rdma.h"

/* Room for a message that lists the devices of the host. */
#define MESSAGE_SIZE	256

/* --- libibverbs: wrappers, since ibv_reg_mr and ibv_query_port are macros -------------- */

static struct ibv_device **
verbs_get_device_list(int *num)
{
	return ibv_get_device_list(num);
}

static void
verbs_free_device_list(struct ibv_device **list)
{
	ibv_free_device_list(list);
}

static const char *
verbs_get_device_name(struct ibv_device *dev)
{
	return ibv_get_device_name(dev);
}

static struct ibv_context *
verbs_open_device(struct ibv_device *dev)
{
	return ibv_open_device(dev);
}

static int
verbs_close_device(struct ibv_context *ctx)
{
	return ibv_close_device(ctx);
}

static int
verbs_query_port(struct ibv_context *ctx, uint8_t port, struct ibv_port_attr *attr)
{
	return ibv_query_port(ctx, port, attr);
}

static int
verbs_query_gid(struct ibv_context *ctx, uint8_t port, int index, union ibv_gid *gid)
{
	return ibv_query_gid(ctx, port, index, gid);
}

static struct ibv_pd *
verbs_alloc_pd(struct ibv_context *ctx)
{
	return ibv_alloc_pd(ctx);
}

static int
verbs_dealloc_pd(struct ibv_pd *pd)
{
	return ibv_dealloc_pd(pd);
}

static struct ibv_mr *
verbs_reg_mr(struct ibv_pd *pd, void *addr, size_t len, int access)
{
	return ibv_reg_mr(pd, addr, len, access);
}

static int
verbs_dereg_mr(struct ibv_mr *mr)
{
	return ibv_dereg_mr(mr);
}

static const struct mk_rdma_verbs libibverbs = {
	.get_device_list = verbs_get_device_list,
	.free_device_list = verbs_free_device_list,
	.get_device_name = verbs_get_device_name,
	.open_device = verbs_open_device,
	.close_device = verbs_close_device,
	.query_port = verbs_query_port,
	.query_gid = verbs_query_gid,
	.alloc_pd = verbs_alloc_pd,
	.dealloc_pd = verbs_dealloc_pd,
	.reg_mr = verbs_reg_mr,
	.dereg_mr = verbs_dereg_mr,
};

static const struct mk_rdma_verbs *verbs_now = &libibverbs;

const struct mk_rdma_verbs *
mk_rdma_verbs_set(const struct mk_rdma_verbs *verbs)
{
	const struct mk_rdma_verbs *prev = verbs_now;

	verbs_now = verbs != NULL ? verbs : &libibverbs;
	return prev;
}

/* --- return conventions ----------------------------------------------------------------- */

/* A call that returned NULL or -1: its errno, negated; EIO when it set none. */
static int
errno_rc(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* A call that returns 0, an errno, or -1 with errno set. */
static int
status_rc(int rc)
{
	if (rc > 0)
		return -rc;
	return rc < 0 ? errno_rc() : 0;
}

/* --- devices ---------------------------------------------------------------------------- */

/*
 * The host's devices. No kernel support (ENOSYS, as on a host that never loaded an RDMA
 * driver) is no device, not an error: *list is NULL and *n 0 then.
 */
static int
device_list(const struct mk_rdma_verbs *v, struct ibv_device ***list, int *n)
{
	int rc;

	*n = 0;
	errno = 0;
	*list = v->get_device_list(n);
	if (*list != NULL) {
		if (*n < 0)
			*n = 0;
		return 0;
	}
	rc = errno_rc();
	*n = 0;
	return rc == -ENOSYS || rc == -ENODEV ? 0 : rc;
}

/* "mlx5_0, mlx5_1" or "none". */
static void
device_names(const struct mk_rdma_verbs *v, struct ibv_device **list, int n, char *buf,
	size_t len)
{
	size_t used = 0;
	int i;

	snprintf(buf, len, "none");
	for (i = 0; i < n && used < len; i++) {
		const char *name = v->get_device_name(list[i]);

		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
			name != NULL ? name : "?");
	}
}

int
mk_rdma_devices(char (*names)[MK_TRANSPORT_NAME_SIZE], unsigned int max, char *err,
	size_t errlen)
{
	const struct mk_rdma_verbs *v = verbs_now;
	struct ibv_device **list;
	int i, n, rc = device_list(v, &list, &n);

	if (rc != 0)
		return mk_errf(err, errlen, rc, "RDMA: ibv_get_device_list: %s", strerror(-rc));
	for (i = 0; i < n && (unsigned int)i < max; i++) {
		const char *name = v->get_device_name(list[i]);

		snprintf(names[i], MK_TRANSPORT_NAME_SIZE, "%s", name != NULL ? name : "?");
	}
	if (list != NULL)
		v->free_device_list(list);
	return n;
}

/* --- registration ----------------------------------------------------------------------- */

/* Give back what @p d holds, in the reverse order of device_register(). */
static int
device_release(const struct mk_rdma_verbs *v, struct mk_transport_dev *d)
{
	int first = 0, rc;

	if (d->mr != NULL) {
		errno = 0;
		rc = status_rc(v->dereg_mr(d->mr));
		first = first != 0 ? first : rc;
		d->mr = NULL;
	}
	if (d->pd != NULL) {
		errno = 0;
		rc = status_rc(v->dealloc_pd(d->pd));
		first = first != 0 ? first : rc;
		d->pd = NULL;
	}
	if (d->context != NULL) {
		errno = 0;
		rc = status_rc(v->close_device(d->context));
		first = first != 0 ? first : rc;
		d->context = NULL;
	}
	return first;
}

/*
 * Open one device, check the port and read its GID, and register the range in a protection
 * domain of its own. On failure nothing stays open and @p msg says which call failed.
 */
static int
device_register(const struct mk_rdma_verbs *v, struct ibv_device *dev, const char *name,
	uint8_t port, void *addr, uint64_t len, struct mk_transport_dev *d, char *msg,
	size_t msglen)
{
	struct ibv_port_attr attr;
	union ibv_gid gid;
	const char *call;
	int rc;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->port = port;
	errno = 0;
	d->context = v->open_device(dev);
	if (d->context == NULL) {
		rc = errno_rc();
		call = "ibv_open_device";
		goto fail;
	}
	memset(&attr, 0, sizeof(attr));
	errno = 0;
	rc = status_rc(v->query_port(d->context, port, &attr));
	if (rc != 0) {
		device_release(v, d);
		return mk_errf(msg, msglen, rc, "RDMA device '%s': ibv_query_port of port %u: %s"
			" (see rdma_port)", name, port, strerror(-rc));
	}
	d->port_active = attr.state == IBV_PORT_ACTIVE;
	memset(&gid, 0, sizeof(gid));
	errno = 0;
	rc = status_rc(v->query_gid(d->context, port, MK_RDMA_GID_INDEX, &gid));
	if (rc != 0) {
		call = "ibv_query_gid";
		goto fail;
	}
	if (inet_ntop(AF_INET6, gid.raw, d->gid, sizeof(d->gid)) == NULL)
		snprintf(d->gid, sizeof(d->gid), "::");
	errno = 0;
	d->pd = v->alloc_pd(d->context);
	if (d->pd == NULL) {
		rc = errno_rc();
		call = "ibv_alloc_pd";
		goto fail;
	}
	errno = 0;
	d->mr = v->reg_mr(d->pd, addr, (size_t)len, MK_RDMA_ACCESS);
	if (d->mr == NULL) {
		rc = errno_rc();
		device_release(v, d);
		/* pinning a segment counts against RLIMIT_MEMLOCK, the usual reason */
		return mk_errf(msg, msglen, rc, "RDMA device '%s': ibv_reg_mr of %llu bytes: %s%s",
			name, (unsigned long long)len, strerror(-rc),
			rc == -ENOMEM || rc == -EPERM ? " (memlock limit? see ulimit -l)" : "");
	}
	d->lkey = ((struct ibv_mr *)d->mr)->lkey;
	d->rkey = ((struct ibv_mr *)d->mr)->rkey;
	return 0;
fail:
	device_release(v, d);
	return mk_errf(msg, msglen, rc, "RDMA device '%s': %s: %s", name, call, strerror(-rc));
}

/* The registration did not happen: @p msg is the reason; nothing stays open. */
static int
register_failed(struct mk_transport_reg *out, int rc, const char *msg, char *err, size_t errlen)
{
	size_t n = strnlen(msg, sizeof(out->reason) - 1);	/* cut short: telemetry shows it */

	mk_rdma_deregister(out);
	out->state = MK_TRANSPORT_FAILED;
	memcpy(out->reason, msg, n);
	out->reason[n] = '\0';
	return mk_errf(err, errlen, rc, "%s", msg);
}

int
mk_rdma_register(const char *want, uint8_t port, const char *endpoint, void *addr,
	uint64_t len, struct mk_transport_reg *out, char *err, size_t errlen)
{
	const struct mk_rdma_verbs *v = verbs_now;
	bool any = strcmp(want, "auto") == 0;
	struct ibv_device **list;
	char msg[MESSAGE_SIZE], here[MESSAGE_SIZE - 64];
	bool kernel_support;
	int i, n, rc;

	out->addr = addr;
	out->len = len;
	out->verbs = v;
	rc = device_list(v, &list, &n);
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "RDMA: ibv_get_device_list: %s", strerror(-rc));
		return register_failed(out, rc, msg, err, errlen);
	}
	for (i = 0; rc == 0 && i < n && out->nb_devices < MK_TRANSPORT_DEVICES_MAX; i++) {
		const char *name = v->get_device_name(list[i]);

		if (name == NULL || (!any && strcmp(name, want) != 0))
			continue;
		rc = device_register(v, list[i], name, port, addr, len,
			&out->dev[out->nb_devices], msg, sizeof(msg));
		if (rc == 0)
			out->nb_devices++;
	}
	if (rc == 0 && out->nb_devices == 0 && !any) {
		rc = -ENODEV;
		device_names(v, list, n, here, sizeof(here));
		snprintf(msg, sizeof(msg), "RDMA device '%s' not found (devices here: %s)", want,
			here);
	}
	/* libibverbs: the list may go once every device used is open */
	kernel_support = list != NULL;
	if (list != NULL)
		v->free_device_list(list);
	if (rc != 0)
		return register_failed(out, rc, msg, err, errlen);
	if (out->nb_devices == 0) {
		out->state = MK_TRANSPORT_UNAVAILABLE;
		snprintf(out->reason, sizeof(out->reason), "no RDMA device (%s)",
			kernel_support ? "none found" : "no RDMA support in the kernel");
	} else {
		out->state = MK_TRANSPORT_REGISTERED;
		out->rkey = out->dev[0].rkey;
		if (any && n > MK_TRANSPORT_DEVICES_MAX)
			snprintf(out->reason, sizeof(out->reason), "registered with the first %d of"
				" %d devices", MK_TRANSPORT_DEVICES_MAX, n);
	}
	if (endpoint != NULL)
		snprintf(out->endpoint, sizeof(out->endpoint), "%s", endpoint);
	else if (out->nb_devices > 0)
		snprintf(out->endpoint, sizeof(out->endpoint), "[%s]:%u", out->dev[0].gid, port);
	return 0;
}

int
mk_rdma_deregister(struct mk_transport_reg *r)
{
	const struct mk_rdma_verbs *v = r->verbs != NULL ? r->verbs : verbs_now;
	unsigned int i = r->nb_devices;
	int first = 0, rc;

	/* the last registered first: the reverse of mk_rdma_register() */
	while (i-- > 0) {
		rc = device_release(v, &r->dev[i]);
		first = first != 0 ? first : rc;
	}
	r->nb_devices = 0;
	return first;
}
