/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_BUFFER_H
#define TEST_BUFFER_H

/*
 * What the buffer suite's files (test_buffer.c, test_buffer_range.c) share: test bodies run
 * on both kinds, and segment bases that need no memory.
 */

#include <stdint.h>

#include "mk_allocator.h"

#define MIB		(UINT64_C(1) << 20)
#define SLAB		(4 * MIB)

/* The same body on both kinds behind the one interface, as two tests: body_offset, body_slab. */
#define PER_KIND(body) \
	static void body##_offset(void) { body(MK_ALLOC_KIND_OFFSET); } \
	static void body##_slab(void) { body(MK_ALLOC_KIND_SLAB); }
#define PER_KIND_TESTS(name, body) \
	{ name "_offset", body##_offset }, { name "_slab", body##_slab }

/* A segment that nobody touches needs no memory behind it: 1 GiB-aligned fake bases. */
static inline void *
fake_base(unsigned int n)
{
	return (void *)(uintptr_t)((UINT64_C(0x7e00) + n) << 30);
}

#endif /* TEST_BUFFER_H */
