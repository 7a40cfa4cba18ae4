/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TEST_H
#define MK_TEST_H

/**
 * @file
 * What the suites of mkalloc-test share: suite registration, the long mode, and the
 * deterministic PRNG of ../shared/BENCH.md so that a failing seed can be replayed.
 */

#include <stdbool.h>
#include <stdint.h>
#include <CUnit/CUnit.h>

/** Each suite file defines one of these; it adds its suite to the CUnit registry. */
typedef int (*mk_test_register_t)(void);

int test_offset_register(void);
int test_slab_register(void);
#ifdef MK_TEST_HAVE_EAL
int test_eal_register(void);
#endif

/** True when run with --long (or MK_TEST_LONG=1): model checks run 100x more steps. */
bool mk_test_long(void);

/** splitmix64, as in BENCH.md. */
static inline uint64_t
mk_test_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/** Uniform in [0, n) for n < 2^32, as BENCH.md's below(). */
static inline uint64_t
mk_test_below(uint64_t *s, uint64_t n)
{
	return ((mk_test_next(s) >> 32) * n) >> 32;
}

#endif /* MK_TEST_H */
