/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "eal": the EAL fixture that the service suites stand on. It checks what they need:
 * the lcores are there (more than CPUs), and a segment-sized memzone can be reserved,
 * written and released, on hugepages or under --no-huge.
 */
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include "mk_test.h"
#include "mk_test_eal.h"

static int
suite_init(void)
{
	return mk_test_eal_up() == 0 ? 0 : -1;
}

static void
test_lcores(void)
{
	CU_ASSERT_EQUAL(rte_lcore_count(), MK_TEST_EAL_LCORES);
	CU_ASSERT_EQUAL(rte_get_main_lcore(), 0);
	CU_ASSERT_EQUAL(rte_eal_process_type(), RTE_PROC_PRIMARY);
}

static void
test_memzone_segment(void)
{
	const size_t len = 64u << 20;
	const struct rte_memzone *mz;
	unsigned char *p;
	size_t i;

	mz = rte_memzone_reserve_aligned("mkt_segment", len, SOCKET_ID_ANY, 0, 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mz);
	CU_ASSERT(mz->len >= len);
	CU_ASSERT_EQUAL((uintptr_t)mz->addr % 4096, 0);
	CU_ASSERT_PTR_EQUAL(rte_memzone_lookup("mkt_segment"), mz);
	p = mz->addr;
	for (i = 0; i < len; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	for (i = 0; i < len; i += 4096)
		if (p[i] != (unsigned char)(i >> 12))
			break;
	CU_ASSERT_EQUAL(i, len);
	CU_ASSERT_EQUAL(rte_memzone_free(mz), 0);
	CU_ASSERT_PTR_NULL(rte_memzone_lookup("mkt_segment"));
}

int
test_eal_register(void)
{
	CU_pSuite s = CU_add_suite("eal", suite_init, NULL);

	if (s == NULL)
		return -1;
	if (CU_add_test(s, "lcores", test_lcores) == NULL ||
	    CU_add_test(s, "memzone_segment", test_memzone_segment) == NULL)
		return -1;
	return 0;
}
