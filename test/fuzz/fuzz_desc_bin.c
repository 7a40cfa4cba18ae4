/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for mk_desc_decode(): arbitrary bytes must be refused with one of the
 * documented errnos and a one-line reason, or decode to a descriptor that keeps every rule,
 * re-encodes to exactly the input and survives the JSON form unchanged. The first byte picks
 * a mode: with its low bit set, the header (magic, version, flags, length, string lengths)
 * and the checksum are made consistent first, so that the fuzzer reaches the field checks
 * behind the checksum. The bytes decoded are always an allocation of exactly their length,
 * so that AddressSanitizer sees any read past them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_descriptor.h"

static void
fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_desc_bin: %s (%s)\n", what, err);
	abort();
}

static void
put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The header and checksum made right around the fuzzer's field bytes. */
static void
seal(uint8_t *p, size_t len, uint8_t mode)
{
	size_t strings = len - MK_DESC_BIN_MIN, n;

	memcpy(p, "MKDS", 4);
	put_le(p + 4, MK_DESC_VERSION, 2);
	put_le(p + 6, 0, 2);
	put_le(p + 8, len, 4);
	if (mode & 2) {
		n = p[40] % (strings + 1);
		if (n > MK_SEGMENT_NAME_MAX)
			n = MK_SEGMENT_NAME_MAX;
		if (strings - n > MK_ENDPOINT_MAX)
			n = strings - MK_ENDPOINT_MAX;
		p[40] = (uint8_t)n;
		p[41] = (uint8_t)(strings - n);
	}
	put_le(p + len - 4, mk_crc32c(p, len - 4), 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[MK_DESC_BIN_MAX], *input;
	char json[MK_DESC_JSON_MAX], err[256];
	struct mk_desc d, e;
	uint8_t mode;
	int rc, len;

	if (size == 0)
		return 0;
	mode = data[0];
	data++;
	size--;
	input = malloc(size > 0 ? size : 1);
	if (input == NULL)
		return 0;
	memcpy(input, data, size);
	if ((mode & 1) && size >= MK_DESC_BIN_MIN && size <= MK_DESC_BIN_MAX)
		seal(input, size, mode);

	err[0] = '\0';
	rc = mk_desc_decode(input, size, &d, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL && rc != -EPROTO && rc != -EMSGSIZE)
			fail("undocumented errno", err);
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			fail("no one-line reason", err);
		free(input);
		return 0;
	}
	if (mk_desc_check(&d, err, sizeof(err)) != 0)
		fail("decoded descriptor breaks a rule", err);
	len = mk_desc_encode(&d, again, sizeof(again), err, sizeof(err));
	if (len < 0 || (size_t)len != size || memcmp(again, input, size) != 0)
		fail("re-encoding differs from the input", err);
	len = mk_desc_to_json(&d, json, sizeof(json), err, sizeof(err));
	if (len < 0)
		fail("JSON form refused", err);
	memset(&e, 0, sizeof(e));
	if (mk_desc_from_json(json, (size_t)len, &e, err, sizeof(err)) != 0)
		fail("own JSON refused", err);
	if (memcmp(&d, &e, sizeof(d)) != 0)
		fail("JSON round trip differs", json);
	free(input);
	return 0;
}
