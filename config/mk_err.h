/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_ERR_H
#define MK_ERR_H

/**
 * @file
 * How mkalloc functions that reject input say why: a one-line reason written into a
 * caller's buffer (which may be NULL), and the negative errno returned. One helper for every
 * layer, header-only so that the allocator libraries need nothing else.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/**
 * Write a one-line reason into @p err and return @p rc.
 *
 * @param err
 *   Buffer for the reason; NULL for none.
 * @param errlen
 *   Its size.
 * @param rc
 *   What to return, usually a negative errno.
 * @param fmt
 *   printf format of the reason.
 * @return
 *   @p rc.
 */
static inline int __attribute__((format(printf, 4, 5)))
mk_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#endif /* MK_ERR_H */
