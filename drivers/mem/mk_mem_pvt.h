/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_MEM_PVT_H
#define MK_MEM_PVT_H

#include "mk_err.h"
#include "mk_mem.h"

/* The built-in drivers, in the table from the start. */
extern const struct mk_mem_driver mk_mem_memzone_driver;
extern const struct mk_mem_driver mk_mem_anon_driver;

#endif /* MK_MEM_PVT_H */
