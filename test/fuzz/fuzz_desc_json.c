/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for mk_desc_from_json(): arbitrary text must be refused with one of the
 * documented errnos and a one-line reason, or read as a descriptor that keeps every rule and
 * comes back unchanged through mk_desc_to_json() (whose text is then stable) and through the
 * binary form. The first byte picks a mode: with its low bit set, the rest drives a generator
 * that writes the known fields in turn, each left out, valid, or replaced by a fragment of
 * the input, plus unknown fields, so that the fuzzer spends its time past the JSON syntax.
 * The text parsed is an allocation of exactly its length, without a NUL.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_descriptor.h"

#define TEXT_MAX	8192

static const char *const fields[][2] = {
	{ "size_", "4096" },
	{ "buffer_address_", "139637976731648" },
	{ "transport_endpoint_", "\"10.0.0.2:7000\"" },
	{ "mk_version", "1" },
	{ "mk_segment_name", "\"seg0\"" },
	{ "mk_offset", "\"0x1000\"" },
	{ "mk_rkey", "7" },
	{ "mk_size", "\"0x1000\"" },
	{ "mk_buffer_address", "\"0x7f0000001000\"" },
	{ "mk_unknown", "{\"a\":[1,null,true]}" },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static void
fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_desc_json: %s (%s)\n", what, err);
	abort();
}

struct input {
	const uint8_t *p;
	size_t left;
};

static size_t
append(char *text, size_t len, const void *s, size_t n)
{
	if (len + n > TEXT_MAX)
		n = TEXT_MAX - len;
	memcpy(text + len, s, n);
	return len + n;
}

/* Each field: left out, its valid value, or a fragment of the input as its value. */
static size_t
generate(struct input *in, char *text)
{
	size_t len = 0, i, n;
	bool first = true;

	len = append(text, len, "{", 1);
	for (i = 0; i < NFIELDS && in->left > 0; i++) {
		uint8_t c = *in->p++;

		in->left--;
		if (c % 4 == 0)
			continue;
		if (!first)
			len = append(text, len, ",", 1);
		first = false;
		len = append(text, len, "\"", 1);
		len = append(text, len, fields[i][0], strlen(fields[i][0]));
		len = append(text, len, "\":", 2);
		if (c % 4 != 3) {
			len = append(text, len, fields[i][1], strlen(fields[i][1]));
			continue;
		}
		n = (size_t)(c >> 2) % 40;
		if (n > in->left)
			n = in->left;
		len = append(text, len, in->p, n);
		in->p += n;
		in->left -= n;
	}
	len = append(text, len, "}", 1);
	return append(text, len, in->p, in->left);	/* what is left trails the object */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[MK_DESC_JSON_MAX], again[MK_DESC_JSON_MAX], err[256];
	uint8_t bin[MK_DESC_BIN_MAX];
	struct input in = { data + 1, size > 0 ? size - 1 : 0 };
	static char built[TEXT_MAX];
	struct mk_desc d, e;
	size_t len;
	char *text;
	int rc, n;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		len = generate(&in, built);
		text = malloc(len > 0 ? len : 1);
		if (text == NULL)
			return 0;
		memcpy(text, built, len);
	} else {
		len = size - 1;
		text = malloc(len > 0 ? len : 1);
		if (text == NULL)
			return 0;
		memcpy(text, data + 1, len);
	}

	err[0] = '\0';
	memset(&d, 0, sizeof(d));
	rc = mk_desc_from_json(text, len, &d, err, sizeof(err));
	free(text);
	if (rc != 0) {
		if (rc != -EINVAL && rc != -EPROTO && rc != -EMSGSIZE)
			fail("undocumented errno", err);
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			fail("no one-line reason", err);
		return 0;
	}
	if (mk_desc_check(&d, err, sizeof(err)) != 0)
		fail("descriptor read breaks a rule", err);
	n = mk_desc_to_json(&d, out, sizeof(out), err, sizeof(err));
	if (n < 0)
		fail("JSON form refused", err);
	memset(&e, 0, sizeof(e));
	if (mk_desc_from_json(out, (size_t)n, &e, err, sizeof(err)) != 0)
		fail("own JSON refused", err);
	if (memcmp(&d, &e, sizeof(d)) != 0)
		fail("JSON round trip differs", out);
	if (mk_desc_to_json(&e, again, sizeof(again), NULL, 0) != n || strcmp(out, again) != 0)
		fail("JSON text not stable", out);
	n = mk_desc_encode(&d, bin, sizeof(bin), err, sizeof(err));
	if (n < 0 || mk_desc_decode(bin, (size_t)n, &e, err, sizeof(err)) != 0 ||
	    memcmp(&d, &e, sizeof(d)) != 0)
		fail("binary round trip differs", err);
	return 0;
}
