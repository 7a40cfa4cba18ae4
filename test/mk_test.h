/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TEST_H
#define MK_TEST_H

/**
 * @file
 * What the suites of mkalloc-test share: suite registration, the long mode, and the
 * deterministic PRNG of ../shared/BENCH.md (config/mk_prng.h) so that a failing seed can be
 * replayed.
 */

#include <stdbool.h>
#include <stdint.h>
#include <CUnit/CUnit.h>

#include "mk_prng.h"

/** Each suite file defines one of these; it adds its suite to the CUnit registry. */
typedef int (*mk_test_register_t)(void);

int test_offset_register(void);
int test_slab_register(void);
/** test_slab_model.c and test_slab_range.c add their tests to the slab suite. */
int test_slab_model_add(CU_pSuite s);
int test_slab_range_add(CU_pSuite s);
struct mk_slab;
struct mk_slab_alloc;
/** test_slab.c: a free refused with -EINVAL that leaves the report and structures as were. */
bool test_slab_refused(struct mk_slab *sa, const struct mk_slab_alloc *a);
int test_buffer_register(void);
/** test_buffer_range.c and test_descriptor.c add their tests to the buffer suite. */
int test_buffer_range_add(CU_pSuite s);
int test_descriptor_add(CU_pSuite s);
#ifdef MK_TEST_HAVE_EAL
int test_eal_register(void);
int test_service_register(void);
int test_rebalance_register(void);
int test_secondary_register(void);
/* The secondary side of suite "secondary": mkalloc-test --secondary-child PREFIX SCENARIO */
int mk_test_secondary_child(int argc, char **argv);
int test_telemetry_register(void);
int test_service_json_register(void);
int test_rdma_register(void);
#endif

/** One test of a suite. */
struct mk_test_case {
	const char *name;
	CU_TestFunc fn;
};

/**
 * Add a suite and its @p n cases to the CUnit registry: the suite, or NULL when CUnit
 * refused (its error says why).
 */
CU_pSuite mk_test_add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc cleanup,
	const struct mk_test_case *cases, size_t n);

/** True when run with --long (or MK_TEST_LONG=1): model checks run 100x more steps. */
bool mk_test_long(void);

/* For loops: record the failed condition once and leave through the test's "out" label. */
#define REQUIRE(cond) do { \
	if (!(cond)) { \
		CU_assertImplementation(CU_FALSE, __LINE__, #cond, __FILE__, __func__, CU_FALSE); \
		goto out; \
	} \
} while (0)

/* BENCH.md's PRNG under the names the suites use */
#define mk_test_next mk_prng_next
#define mk_test_below mk_prng_below

#endif /* MK_TEST_H */
