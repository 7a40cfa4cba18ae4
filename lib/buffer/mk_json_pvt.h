/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_JSON_PVT_H
#define MK_JSON_PVT_H

/*
 * What the JSON readers of mkalloc (descriptors here, the service's config in lib/mkalloc)
 * check before they give text to cJSON. Not installed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * Whether the text holds the escape \u0000. cJSON would turn it into a NUL that ends the
 * C string early, so "ab\u0000cd" would silently read as "ab". The text is valid JSON here,
 * so every backslash starts an escape: skipping the escaped character is all it takes.
 */
static inline bool
mk_json_has_nul_escape(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++;
	}
	return false;
}

#endif /* MK_JSON_PVT_H */
