/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkalloc-test: one CUnit runner for every suite. With no argument it runs them all; with
 * names it runs only those (mkalloc-test offset slab). Exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "mk_test.h"
#ifdef MK_TEST_HAVE_EAL
#include "mk_test_eal.h"
#endif

static const struct {
	const char *name;
	mk_test_register_t add;
} suites[] = {
	{ "offset", test_offset_register },
	{ "slab", test_slab_register },
	{ "buffer", test_buffer_register },
#ifdef MK_TEST_HAVE_EAL
	{ "eal", test_eal_register },
	{ "service", test_service_register },
	{ "rebalance", test_rebalance_register },
	{ "secondary", test_secondary_register },
	{ "telemetry", test_telemetry_register },
	{ "service_json", test_service_json_register },
	{ "rdma", test_rdma_register },
#endif
};

static bool long_mode;

bool
mk_test_long(void)
{
	return long_mode;
}

CU_pSuite
mk_test_add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc cleanup,
	const struct mk_test_case *cases, size_t n)
{
	CU_pSuite s = CU_add_suite(name, init, cleanup);
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (CU_add_test(s, cases[i].name, cases[i].fn) == NULL)
			return NULL;
	return s;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mkalloc-test [--long] [--list] [SUITE...]\nsuites:");
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		fprintf(f, " %s", suites[i].name);
	fprintf(f, "\n");
}

int
main(int argc, char **argv)
{
	size_t i, n = sizeof(suites) / sizeof(suites[0]);
	bool chosen[sizeof(suites) / sizeof(suites[0])] = { false };
	bool any = false;
	unsigned int failed;
	int a;

#ifdef MK_TEST_HAVE_EAL
	if (argc > 1 && strcmp(argv[1], "--secondary-child") == 0)
		return mk_test_secondary_child(argc, argv);
#endif
	long_mode = getenv("MK_TEST_LONG") != NULL && strcmp(getenv("MK_TEST_LONG"), "0") != 0;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--long") == 0) {
			long_mode = true;
			continue;
		}
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "--list") == 0) {
			usage(stdout);
			return 0;
		}
		for (i = 0; i < n; i++)
			if (strcmp(argv[a], suites[i].name) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "mkalloc-test: no suite '%s'\n", argv[a]);
			usage(stderr);
			return 2;
		}
		chosen[i] = any = true;
	}

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "mkalloc-test: %s\n", CU_get_error_msg());
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (any && !chosen[i])
			continue;
#ifdef MK_TEST_HAVE_EAL
		/* secondaries need a primary whose memory they can map */
		if (strcmp(suites[i].name, "secondary") == 0)
			mk_test_eal_shared();
#endif
		if (suites[i].add() != 0) {
			fprintf(stderr, "mkalloc-test: cannot register suite %s: %s\n",
				suites[i].name, CU_get_error_msg());
			CU_cleanup_registry();
			return 1;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
