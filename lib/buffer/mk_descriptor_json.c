/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON form of a descriptor, with cJSON. The fields and the rule that keeps 64-bit values
 * exact are in mk_descriptor.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "mk_descriptor_pvt.h"
#include "mk_json_pvt.h"

/* Integers a double holds exactly, every one of them: JavaScript's MAX_SAFE_INTEGER. */
#define JSON_EXACT_MAX		((UINT64_C(1) << 53) - 1)
/* "0x" and at most 16 hex digits, NUL. */
#define HEX_TEXT_MAX		19

enum field {
	F_SIZE,			/* Mooncake's */
	F_ADDRESS,		/* Mooncake's */
	F_ENDPOINT,		/* Mooncake's */
	F_VERSION,
	F_SEGMENT,
	F_OFFSET,
	F_RKEY,
	F_SIZE_HEX,		/* optional: exact form of size_ */
	F_ADDRESS_HEX,		/* optional: exact form of buffer_address_ */
	F_COUNT,
};

static const char *const field_names[F_COUNT] = {
	[F_SIZE] = "size_",
	[F_ADDRESS] = "buffer_address_",
	[F_ENDPOINT] = "transport_endpoint_",
	[F_VERSION] = "mk_version",
	[F_SEGMENT] = "mk_segment_name",
	[F_OFFSET] = "mk_offset",
	[F_RKEY] = "mk_rkey",
	[F_SIZE_HEX] = "mk_size",
	[F_ADDRESS_HEX] = "mk_buffer_address",
};

/* Fields from this one on may be left out. */
#define F_OPTIONAL	F_SIZE_HEX

static bool
add_raw_u64(cJSON *o, const char *name, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	return cJSON_AddRawToObject(o, name, text) != NULL;
}

static bool
add_hex(cJSON *o, const char *name, uint64_t v)
{
	char text[HEX_TEXT_MAX];

	snprintf(text, sizeof(text), "0x%" PRIx64, v);
	return cJSON_AddStringToObject(o, name, text) != NULL;
}

int
mk_desc_to_json(const struct mk_desc *d, char *buf, size_t cap, char *err, size_t errlen)
{
	cJSON *o;
	char *text;
	size_t len;
	int rc;

	if (buf == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL output buffer");
	rc = mk_desc_check(d, err, errlen);
	if (rc != 0)
		return rc == -EMSGSIZE ? -EINVAL : rc;
	o = cJSON_CreateObject();
	/*
	 * Integers go out as raw text so that they are exact for readers with 64-bit integers
	 * (cJSON would print a double, rounded above 2^53 and with an exponent above 10^15).
	 */
	if (o == NULL || !add_raw_u64(o, field_names[F_SIZE], d->size) ||
	    !add_raw_u64(o, field_names[F_ADDRESS], d->buffer_address) ||
	    cJSON_AddStringToObject(o, field_names[F_ENDPOINT], d->transport_endpoint) == NULL ||
	    !add_raw_u64(o, field_names[F_VERSION], MK_DESC_VERSION) ||
	    cJSON_AddStringToObject(o, field_names[F_SEGMENT], d->segment_name) == NULL ||
	    !add_hex(o, field_names[F_OFFSET], d->offset) ||
	    !add_raw_u64(o, field_names[F_RKEY], d->rkey) ||
	    !add_hex(o, field_names[F_SIZE_HEX], d->size) ||
	    !add_hex(o, field_names[F_ADDRESS_HEX], d->buffer_address)) {
		cJSON_Delete(o);
		return mk_errf(err, errlen, -ENOMEM, "out of memory building JSON");
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL)
		return mk_errf(err, errlen, -ENOMEM, "out of memory printing JSON");
	len = strlen(text);
	if (len >= cap) {
		cJSON_free(text);
		return mk_errf(err, errlen, -EMSGSIZE,
			"JSON descriptor needs %zu bytes, the buffer holds %zu", len + 1, cap);
	}
	memcpy(buf, text, len + 1);
	cJSON_free(text);
	return (int)len;
}

static bool
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "0x" and 1 .. 16 hex digits, nothing else. */
static bool
parse_hex(const char *s, uint64_t *v)
{
	size_t i, n = strlen(s);

	if (n < 3 || n > HEX_TEXT_MAX - 1 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	*v = 0;
	for (i = 2; i < n; i++) {
		char c = s[i];
		unsigned int digit;

		if (c >= '0' && c <= '9')
			digit = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			digit = (unsigned int)(c - 'A' + 10);
		else
			return false;
		*v = *v << 4 | digit;
	}
	return true;
}

/* A JSON number that is an integer in [0, max], every one of which a double holds. */
static bool
exact_integer(const cJSON *item, uint64_t max, uint64_t *v)
{
	double x = item->valuedouble;

	/* written so that NaN fails too */
	if (!(x >= 0.0 && x <= (double)max))
		return false;
	*v = (uint64_t)x;
	return (double)*v == x;
}

/* A 64-bit Mooncake number and, when given, its exact hex form. */
static int
get_u64(const cJSON *const *item, enum field num, enum field hex, uint64_t *v, char *err,
	size_t errlen)
{
	if (!cJSON_IsNumber(item[num]))
		return mk_errf(err, errlen, -EINVAL, "%s is not a number", field_names[num]);
	if (item[hex] == NULL) {
		if (!exact_integer(item[num], JSON_EXACT_MAX, v))
			return mk_errf(err, errlen, -EINVAL,
				"%s is not an integer in 0..2^53-1 (larger ones need %s)",
				field_names[num], field_names[hex]);
		return 0;
	}
	if (!cJSON_IsString(item[hex]) || !parse_hex(item[hex]->valuestring, v))
		return mk_errf(err, errlen, -EINVAL, "%s is not a \"0x...\" hex string",
			field_names[hex]);
	if (item[num]->valuedouble != (double)*v)
		return mk_errf(err, errlen, -EINVAL, "%s and %s disagree",
			field_names[num], field_names[hex]);
	return 0;
}

/* A string field no longer than max; its length in *len. */
static int
get_string(const cJSON *item, const char *name, size_t max, size_t *len, char *err,
	size_t errlen)
{
	if (!cJSON_IsString(item))
		return mk_errf(err, errlen, -EINVAL, "%s is not a string", name);
	*len = strnlen(item->valuestring, max + 1);
	if (*len > max)
		return mk_errf(err, errlen, -EMSGSIZE, "%s longer than %zu bytes", name, max);
	return 0;
}

/* The known fields of the object, each once; the required ones all there. */
static int
collect_fields(const cJSON *root, const cJSON **item, char *err, size_t errlen)
{
	const cJSON *c;
	int f;

	for (c = root->child; c != NULL; c = c->next) {
		for (f = 0; f < F_COUNT; f++)
			if (c->string != NULL && strcmp(c->string, field_names[f]) == 0)
				break;
		if (f == F_COUNT)
			continue;	/* unknown fields are another writer's business */
		if (item[f] != NULL)
			return mk_errf(err, errlen, -EINVAL, "field %s given twice",
				field_names[f]);
		item[f] = c;
	}
	for (f = 0; f < F_OPTIONAL; f++)
		if (item[f] == NULL)
			return mk_errf(err, errlen, -EINVAL, "missing field %s",
				field_names[f]);
	return 0;
}

static int
desc_from_object(const cJSON *root, struct mk_desc *out, char *err, size_t errlen)
{
	const cJSON *item[F_COUNT] = { NULL };
	size_t name_len, ep_len;
	uint64_t v;
	int rc;

	rc = collect_fields(root, item, err, errlen);
	if (rc != 0)
		return rc;
	if (!cJSON_IsNumber(item[F_VERSION]))
		return mk_errf(err, errlen, -EINVAL, "mk_version is not a number");
	if (item[F_VERSION]->valuedouble != MK_DESC_VERSION)
		return mk_errf(err, errlen, -EPROTO, "mk_version %g (only %d is known)",
			item[F_VERSION]->valuedouble, MK_DESC_VERSION);
	rc = get_u64(item, F_SIZE, F_SIZE_HEX, &out->size, err, errlen);
	if (rc == 0)
		rc = get_u64(item, F_ADDRESS, F_ADDRESS_HEX, &out->buffer_address, err, errlen);
	if (rc != 0)
		return rc;
	if (!cJSON_IsString(item[F_OFFSET]) || !parse_hex(item[F_OFFSET]->valuestring,
		&out->offset))
		return mk_errf(err, errlen, -EINVAL,
			"mk_offset is not a \"0x...\" hex string");
	if (!cJSON_IsNumber(item[F_RKEY]) || !exact_integer(item[F_RKEY], UINT32_MAX, &v))
		return mk_errf(err, errlen, -EINVAL, "mk_rkey is not an integer in 0..2^32-1");
	out->rkey = (uint32_t)v;

	rc = get_string(item[F_SEGMENT], field_names[F_SEGMENT], MK_SEGMENT_NAME_MAX, &name_len,
		err, errlen);
	if (rc == 0)
		rc = get_string(item[F_ENDPOINT], field_names[F_ENDPOINT], MK_ENDPOINT_MAX,
			&ep_len, err, errlen);
	if (rc == 0)
		rc = mk_desc_check_name_len(item[F_SEGMENT]->valuestring, name_len, err, errlen);
	if (rc == 0)
		rc = mk_desc_check_endpoint_len(item[F_ENDPOINT]->valuestring, ep_len, err,
			errlen);
	if (rc == 0)
		rc = mk_desc_check_numbers(out->size, out->buffer_address, out->offset, err,
			errlen);
	if (rc != 0)
		return rc;
	memcpy(out->segment_name, item[F_SEGMENT]->valuestring, name_len + 1);
	memcpy(out->transport_endpoint, item[F_ENDPOINT]->valuestring, ep_len + 1);
	return 0;
}

int
mk_desc_from_json(const char *text, size_t len, struct mk_desc *d, char *err, size_t errlen)
{
	const char *end = NULL;
	struct mk_desc out;
	cJSON *root;
	size_t i;
	int rc;

	if (text == NULL || d == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL argument");
	if (len > MK_DESC_JSON_INPUT_MAX)
		return mk_errf(err, errlen, -EMSGSIZE,
			"JSON descriptor of %zu bytes (at most %d)", len, MK_DESC_JSON_INPUT_MAX);
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL)
		return mk_errf(err, errlen, -EPROTO, "not JSON (error at byte %td)",
			end != NULL ? end - text : (ptrdiff_t)0);
	for (i = (size_t)(end - text); i < len; i++) {
		if (!is_json_space(text[i])) {
			cJSON_Delete(root);
			return mk_errf(err, errlen, -EPROTO,
				"text after the JSON object at byte %zu", i);
		}
	}
	if (!cJSON_IsObject(root)) {
		rc = mk_errf(err, errlen, -EPROTO, "JSON descriptor is not an object");
	} else if (mk_json_has_nul_escape(text, len)) {
		rc = mk_errf(err, errlen, -EINVAL, "a JSON string holds \\u0000");
	} else {
		memset(&out, 0, sizeof(out));
		rc = desc_from_object(root, &out, err, errlen);
	}
	cJSON_Delete(root);
	if (rc == 0)
		*d = out;
	return rc;
}
