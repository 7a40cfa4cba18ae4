/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_PRNG_H
#define MK_PRNG_H

/**
 * @file
 * The deterministic PRNG of ../shared/BENCH.md (splitmix64 and its below/range), shared by
 * the tests, the fuzz harnesses and mkalloc-bench, so that a seed replays bit for bit
 * everywhere.
 */

#include <stdint.h>

/** splitmix64: advance the state @p s and return the next value. */
static inline uint64_t
mk_prng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/** Uniform in [0, n) for n <= 2^32: BENCH.md's below(). */
static inline uint64_t
mk_prng_below(uint64_t *s, uint64_t n)
{
	return ((mk_prng_next(s) >> 32) * n) >> 32;
}

/** Uniform in [lo, hi] for hi - lo < 2^32: BENCH.md's range(). */
static inline uint64_t
mk_prng_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + mk_prng_below(s, hi - lo + 1);
}

#endif /* MK_PRNG_H */
