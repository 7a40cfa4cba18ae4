/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_RDMA_H
#define MK_RDMA_H

/*
 * The RDMA transport driver (rdma-core's libibverbs), behind mk_transport.h.
 *
 * Every verbs call goes through a table of the ten functions it uses, so that a test can
 * put a recording double of the verbs under the real registration code (order of the
 * calls, access flags, a failure at each step and what is then closed) on a host without
 * an RDMA device. The product always runs on the libibverbs table; a test swaps it with
 * mk_rdma_verbs_set() and puts it back with mk_rdma_verbs_set(NULL). Not exported.
 */

#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "mk_transport.h"

/* The verbs the driver uses, with libibverbs' return conventions. */
struct mk_rdma_verbs {
	struct ibv_device **(*get_device_list)(int *num);	/* NULL + errno */
	void (*free_device_list)(struct ibv_device **list);
	const char *(*get_device_name)(struct ibv_device *dev);
	struct ibv_context *(*open_device)(struct ibv_device *dev);	/* NULL + errno */
	int (*close_device)(struct ibv_context *ctx);		/* 0, or -1 + errno */
	int (*query_port)(struct ibv_context *ctx, uint8_t port,
		struct ibv_port_attr *attr);			/* 0 or an errno */
	int (*query_gid)(struct ibv_context *ctx, uint8_t port, int index,
		union ibv_gid *gid);				/* 0, or -1 + errno */
	struct ibv_pd *(*alloc_pd)(struct ibv_context *ctx);	/* NULL + errno */
	int (*dealloc_pd)(struct ibv_pd *pd);			/* 0 or an errno */
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t len,
		int access);					/* NULL + errno */
	int (*dereg_mr)(struct ibv_mr *mr);			/* 0 or an errno */
};

/* The access a segment's memory region grants: remote peers read and write it. */
#define MK_RDMA_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | \
	IBV_ACCESS_REMOTE_WRITE)
/* The GID table entry the endpoint names: index 0 exists on every port (link-local). */
#define MK_RDMA_GID_INDEX	0

/* Use @p verbs for registrations from now on; NULL: libibverbs. Returns the previous. */
const struct mk_rdma_verbs *mk_rdma_verbs_set(const struct mk_rdma_verbs *verbs);

/* mk_transport_devices() for RDMA. */
int mk_rdma_devices(char (*names)[MK_TRANSPORT_NAME_SIZE], unsigned int max, char *err,
	size_t errlen);

/* mk_transport_register() once the request asks for RDMA ("auto" or a name). */
int mk_rdma_register(const char *want, uint8_t port, const char *endpoint, void *addr,
	uint64_t len, struct mk_transport_reg *out, char *err, size_t errlen);

/* mk_transport_deregister() of a registration that holds devices. */
int mk_rdma_deregister(struct mk_transport_reg *r);

#endif /* MK_RDMA_H */
