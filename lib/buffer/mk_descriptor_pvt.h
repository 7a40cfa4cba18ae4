/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_DESCRIPTOR_PVT_H
#define MK_DESCRIPTOR_PVT_H

/*
 * Private to lib/buffer: what the binary and the JSON forms of a descriptor share. The rules
 * are in mk_descriptor.h.
 */

#include <stddef.h>

#include "mk_allocator_pvt.h"
#include "mk_descriptor.h"
#include "mk_err.h"

/* The name and endpoint rules, over len bytes that need not be NUL-terminated. */
MK_BUFFER_PRIVATE int mk_desc_check_name_len(const char *name, size_t len, char *err,
	size_t errlen);
MK_BUFFER_PRIVATE int mk_desc_check_endpoint_len(const char *ep, size_t len, char *err,
	size_t errlen);
/* The rules on the numbers: size, address, offset. */
MK_BUFFER_PRIVATE int mk_desc_check_numbers(uint64_t size, uint64_t address, uint64_t offset,
	char *err, size_t errlen);

#endif /* MK_DESCRIPTOR_PVT_H */
