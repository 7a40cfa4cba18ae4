/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TEST_RDMA_H
#define MK_TEST_RDMA_H

/**
 * @file
 * The verbs double of the "rdma" suite (test_rdma_verbs.c): what it records and how a test
 * makes a step fail. mk_rdma_verbs_set(&mk_fake_verbs) puts it under the driver.
 */

#include <stddef.h>

#include "mk_rdma.h"

/** Fake devices at most. */
#define MK_FAKE_DEVICES_MAX	4
/** Bytes of the call log. */
#define MK_FAKE_LOG_SIZE	1024

/** The verbs steps, in the order a registration takes them, then the releases. */
enum mk_fake_step {
	MK_FAKE_LIST, MK_FAKE_OPEN, MK_FAKE_PORT, MK_FAKE_GID, MK_FAKE_PD, MK_FAKE_MR,
	MK_FAKE_DEREG, MK_FAKE_DEALLOC, MK_FAKE_CLOSE, MK_FAKE_STEPS
};

/** The libibverbs call of each step, as the driver's messages name it. */
extern const char *const mk_fake_call[MK_FAKE_STEPS];

/** The double's state. */
struct mk_fake {
	unsigned int nb_devices;
	struct ibv_device dev[MK_FAKE_DEVICES_MAX];	/**< named mlx5_0, mlx5_1, ... */
	/** The step that fails on its fail_at-th call (1 = the first), with fail_errno. */
	enum mk_fake_step fail_step;
	unsigned int fail_at;
	int fail_errno;
	unsigned int calls[MK_FAKE_STEPS];
	int lists, contexts, pds, mrs;		/**< held now */
	int access[MK_FAKE_DEVICES_MAX];	/**< of the last ibv_reg_mr on each device */
	void *addr[MK_FAKE_DEVICES_MAX];
	size_t len[MK_FAKE_DEVICES_MAX];
	char log[MK_FAKE_LOG_SIZE];		/**< " open:0 port:0 ..." */
};

extern struct mk_fake mk_fake;
extern const struct mk_rdma_verbs mk_fake_verbs;

/** Forget everything; @p devices fake devices, nothing failing. */
void mk_fake_reset(unsigned int devices);

/** Make the @p at-th call of @p step fail with @p err. */
void mk_fake_fail(enum mk_fake_step step, unsigned int at, int err);

/** A CUnit failure, naming @p what, when anything the double handed out is still held. */
void mk_fake_closed(const char *what);

/** A CUnit failure when the call log is not @p want. */
void mk_fake_log(const char *want);

#endif /* MK_TEST_RDMA_H */
