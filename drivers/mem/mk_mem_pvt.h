/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_MEM_PVT_H
#define MK_MEM_PVT_H

#include <stddef.h>

#include "mk_mem.h"

extern const struct mk_mem_driver mk_mem_memzone_driver;
extern const struct mk_mem_driver mk_mem_anon_driver;

/* Write a one-line reason into err (which may be NULL). */
void mk_mem_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* MK_MEM_PVT_H */
