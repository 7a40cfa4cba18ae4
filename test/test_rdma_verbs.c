/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A recording double of the ten verbs the RDMA driver calls (mk_rdma.h), for the "rdma"
 * suite: fake devices mlx5_0.. with one port, whose contexts, protection domains and memory
 * regions are counted while held; every call is logged (" open:0 port:0 ... free"), and the
 * n-th call of one step can be made to fail with a chosen errno.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "mk_test_rdma.h"

const char *const mk_fake_call[MK_FAKE_STEPS] = {
	"ibv_get_device_list", "ibv_open_device", "ibv_query_port", "ibv_query_gid",
	"ibv_alloc_pd", "ibv_reg_mr", "ibv_dereg_mr", "ibv_dealloc_pd", "ibv_close_device",
};
static const char *const step_tag[MK_FAKE_STEPS] = {
	"list", "open", "port", "gid", "pd", "mr", "dereg", "dealloc", "close",
};

struct mk_fake mk_fake;

void
mk_fake_reset(unsigned int devices)
{
	unsigned int i;

	memset(&mk_fake, 0, sizeof(mk_fake));
	mk_fake.nb_devices = devices;
	mk_fake.fail_step = MK_FAKE_STEPS;
	for (i = 0; i < devices; i++)
		snprintf(mk_fake.dev[i].name, sizeof(mk_fake.dev[i].name), "mlx5_%u", i);
}

void
mk_fake_fail(enum mk_fake_step step, unsigned int at, int err)
{
	mk_fake.fail_step = step;
	mk_fake.fail_at = at;
	mk_fake.fail_errno = err;
}

/* Log the call; true when it is the one to fail (errno is set then). */
static bool
fake_call(enum mk_fake_step step, const struct ibv_device *dev)
{
	size_t used = strlen(mk_fake.log);

	if (dev != NULL)
		snprintf(mk_fake.log + used, sizeof(mk_fake.log) - used, " %s:%d", step_tag[step],
			(int)(dev - mk_fake.dev));
	else
		snprintf(mk_fake.log + used, sizeof(mk_fake.log) - used, " %s", step_tag[step]);
	if (step == mk_fake.fail_step && ++mk_fake.calls[step] == mk_fake.fail_at) {
		errno = mk_fake.fail_errno;
		return true;
	}
	return false;
}

static struct ibv_device **
fake_get_device_list(int *num)
{
	struct ibv_device **list;
	unsigned int i;

	if (fake_call(MK_FAKE_LIST, NULL))
		return NULL;
	list = calloc(mk_fake.nb_devices + 1, sizeof(*list));
	for (i = 0; list != NULL && i < mk_fake.nb_devices; i++)
		list[i] = &mk_fake.dev[i];
	*num = (int)mk_fake.nb_devices;
	mk_fake.lists++;
	return list;
}

static void
fake_free_device_list(struct ibv_device **list)
{
	size_t used = strlen(mk_fake.log);

	snprintf(mk_fake.log + used, sizeof(mk_fake.log) - used, " free");
	mk_fake.lists--;
	free(list);
}

static const char *
fake_get_device_name(struct ibv_device *dev)
{
	return dev->name;
}

static struct ibv_context *
fake_open_device(struct ibv_device *dev)
{
	struct ibv_context *ctx;

	if (fake_call(MK_FAKE_OPEN, dev))
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	ctx->device = dev;
	mk_fake.contexts++;
	return ctx;
}

static int
fake_close_device(struct ibv_context *ctx)
{
	bool fail = fake_call(MK_FAKE_CLOSE, ctx->device);

	/* a device that refuses still goes: the kernel closes it with the process */
	mk_fake.contexts--;
	free(ctx);
	return fail ? -1 : 0;
}

static int
fake_query_port(struct ibv_context *ctx, uint8_t port, struct ibv_port_attr *attr)
{
	if (fake_call(MK_FAKE_PORT, ctx->device))
		return mk_fake.fail_errno;
	if (port != 1)		/* one port a device */
		return EINVAL;
	attr->state = IBV_PORT_ACTIVE;
	return 0;
}

static int
fake_query_gid(struct ibv_context *ctx, uint8_t port, int index, union ibv_gid *gid)
{
	(void)port;
	if (fake_call(MK_FAKE_GID, ctx->device))
		return -1;
	/* fe80::<device + 1>, the link-local GID at index 0 */
	memset(gid, 0, sizeof(*gid));
	gid->raw[0] = 0xfe;
	gid->raw[1] = 0x80;
	gid->raw[15] = (uint8_t)(ctx->device - mk_fake.dev + 1);
	return index == 0 ? 0 : -1;
}

static struct ibv_pd *
fake_alloc_pd(struct ibv_context *ctx)
{
	struct ibv_pd *pd;

	if (fake_call(MK_FAKE_PD, ctx->device))
		return NULL;
	pd = calloc(1, sizeof(*pd));
	pd->context = ctx;
	mk_fake.pds++;
	return pd;
}

static int
fake_dealloc_pd(struct ibv_pd *pd)
{
	bool fail = fake_call(MK_FAKE_DEALLOC, pd->context->device);

	mk_fake.pds -= !fail;
	free(pd);
	return fail ? mk_fake.fail_errno : 0;
}

static struct ibv_mr *
fake_reg_mr(struct ibv_pd *pd, void *addr, size_t len, int access)
{
	struct ibv_device *dev = pd->context->device;
	int i = (int)(dev - mk_fake.dev);
	struct ibv_mr *mr;

	if (fake_call(MK_FAKE_MR, dev))
		return NULL;
	mr = calloc(1, sizeof(*mr));
	mr->context = pd->context;
	mr->pd = pd;
	mr->addr = addr;
	mr->length = len;
	mr->lkey = 0x1000u + (uint32_t)i;
	mr->rkey = 0xab00u + (uint32_t)i;
	mk_fake.access[i] = access;
	mk_fake.addr[i] = addr;
	mk_fake.len[i] = len;
	mk_fake.mrs++;
	return mr;
}

static int
fake_dereg_mr(struct ibv_mr *mr)
{
	bool fail = fake_call(MK_FAKE_DEREG, mr->context->device);

	mk_fake.mrs -= !fail;	/* refused: the device still holds it */
	free(mr);
	return fail ? mk_fake.fail_errno : 0;
}

const struct mk_rdma_verbs mk_fake_verbs = {
	.get_device_list = fake_get_device_list,
	.free_device_list = fake_free_device_list,
	.get_device_name = fake_get_device_name,
	.open_device = fake_open_device,
	.close_device = fake_close_device,
	.query_port = fake_query_port,
	.query_gid = fake_query_gid,
	.alloc_pd = fake_alloc_pd,
	.dealloc_pd = fake_dealloc_pd,
	.reg_mr = fake_reg_mr,
	.dereg_mr = fake_dereg_mr,
};

/* Nothing the double handed out is held. */
void
mk_fake_closed(const char *what)
{
	if (mk_fake.lists != 0 || mk_fake.contexts != 0 || mk_fake.pds != 0 ||
	    mk_fake.mrs != 0) {
		fprintf(stderr, "%s: held: %d lists, %d contexts, %d pds, %d mrs; calls:%s\n",
			what, mk_fake.lists, mk_fake.contexts, mk_fake.pds, mk_fake.mrs,
			mk_fake.log);
		CU_FAIL("the double's objects are not all closed");
	}
}

void
mk_fake_log(const char *want)
{
	if (strcmp(mk_fake.log, want) != 0) {
		fprintf(stderr, "verbs calls:%s\n      want:%s\n", mk_fake.log, want);
		CU_FAIL("verbs calls in another order");
	}
}

