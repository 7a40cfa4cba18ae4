/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Descriptors: the field rules, the binary form and its checksum. The layout and the rules
 * are in mk_descriptor.h; the JSON form is in mk_descriptor_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mk_allocator_pvt.h"
#include "mk_descriptor_pvt.h"

/* The binary form, version 1: see the table in mk_descriptor.h. */
#define BIN_MAGIC		UINT32_C(0x53444b4d)	/* 'M' 'K' 'D' 'S', little-endian */
#define BIN_OFF_VERSION		4
#define BIN_OFF_FLAGS		6
#define BIN_OFF_LENGTH		8
#define BIN_OFF_RKEY		12
#define BIN_OFF_SIZE		16
#define BIN_OFF_ADDRESS		24
#define BIN_OFF_OFFSET		32
#define BIN_OFF_NAME_LEN	40
#define BIN_OFF_EP_LEN		41
#define BIN_OFF_STRINGS		42
#define BIN_CRC_BYTES		4

_Static_assert(BIN_OFF_STRINGS + BIN_CRC_BYTES == MK_DESC_BIN_MIN, "fixed part of the layout");
_Static_assert(MK_SEGMENT_NAME_MAX <= UINT8_MAX && MK_ENDPOINT_MAX <= UINT8_MAX,
	"string lengths are one byte");

/* Hostname limits of RFC 1123 (and 1035): the whole name and one label. */
#define HOSTNAME_MAX		253
#define LABEL_MAX		63
#define PORT_MAX		65535u
/* Bytes of an input quoted in a message, and room for them escaped. */
#define QUOTE_MAX		64
#define QUOTE_ROOM		(QUOTE_MAX * 4 + 4)

/*
 * CRC32C a nibble at a time: a 16-entry table is small enough to write out (and checked by
 * the tests against the standard check value), and a descriptor is at most 556 bytes.
 */
static const uint32_t crc32c_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3, 0x61c69362,
	0x7198540d, 0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9, 0xc38d26c4, 0xd3d3e1ab,
	0xe330a81a, 0xf36e6f75,
};

uint32_t
mk_crc32c(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = UINT32_MAX;
	size_t i;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0xf];
	}
	return ~crc;
}

/*
 * A piece of the input fit for a one-line message: printable ASCII as is, other bytes as
 * \xNN (a newline or an escape sequence from the wire must not reach a terminal or a log
 * line), and "..." after the first QUOTE_MAX bytes.
 */
static const char *
quote(char *out, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c <= 0x7e && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, QUOTE_ROOM - o, "\\x%02x", c);
	}
	if (len > QUOTE_MAX)
		o += (size_t)snprintf(out + o, QUOTE_ROOM - o, "...");
	out[o] = '\0';
	return out;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A decimal of 1 .. max_digits digits without leading zeros; its value in *v. */
static bool
parse_decimal(const char *s, size_t len, size_t max_digits, uint32_t *v)
{
	size_t i;

	if (len == 0 || len > max_digits || (len > 1 && s[0] == '0'))
		return false;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		*v = *v * 10 + (uint32_t)(s[i] - '0');
	}
	return true;
}

/* Four dot-separated decimals 0 .. 255; leading zeros are refused (octal in inet_aton). */
static bool
check_ipv4(const char *s, size_t len)
{
	size_t start = 0, i;
	unsigned int parts = 0;
	uint32_t v;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!parse_decimal(s + start, i - start, 3, &v) || v > 255)
			return false;
		parts++;
		start = i + 1;
	}
	return parts == 4;
}

/* RFC 1123: labels of letters, digits and inner hyphens, 1 .. 63 bytes, 253 in all. */
static bool
check_hostname(const char *s, size_t len)
{
	size_t label = 0, i;

	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_alnum(s[i]) && (s[i] != '-' || label == 0))
			return false;
		if (++label > LABEL_MAX)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

static bool
check_ipv6(const char *s, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr addr;

	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(AF_INET6, text, &addr) == 1;
}

int
mk_desc_check_endpoint_len(const char *ep, size_t len, char *err, size_t errlen)
{
	size_t colon = len, host_len, i;
	bool numeric = true, valid;
	char q[QUOTE_ROOM];
	uint32_t port;

	if (len == 0)
		return 0;
	if (len > MK_ENDPOINT_MAX)
		return mk_errf(err, errlen, -EINVAL,
			"transport endpoint of %zu bytes (at most %d)", len, MK_ENDPOINT_MAX);
	if (memchr(ep, '\0', len) != NULL)
		return mk_errf(err, errlen, -EINVAL, "NUL inside the transport endpoint");
	for (i = len; i > 0; i--) {
		if (ep[i - 1] == ':') {
			colon = i - 1;
			break;
		}
	}
	if (colon == len)
		return mk_errf(err, errlen, -EINVAL,
			"transport endpoint '%s' is not host:port", quote(q, ep, len));
	if (!parse_decimal(ep + colon + 1, len - colon - 1, 5, &port) || port == 0 ||
	    port > PORT_MAX)
		return mk_errf(err, errlen, -EINVAL,
			"transport endpoint '%s': port is not a decimal 1..65535",
			quote(q, ep, len));
	host_len = colon;
	if (host_len > 0 && ep[0] == '[') {
		if (host_len < 2 || ep[host_len - 1] != ']' || !check_ipv6(ep + 1, host_len - 2))
			return mk_errf(err, errlen, -EINVAL,
				"transport endpoint '%s': bad [IPv6] address", quote(q, ep, len));
		return 0;
	}
	for (i = 0; i < host_len; i++) {
		if (ep[i] == ':')
			return mk_errf(err, errlen, -EINVAL,
				"transport endpoint '%s': an IPv6 address needs brackets",
				quote(q, ep, len));
		numeric &= is_digit(ep[i]) || ep[i] == '.';
	}
	if (numeric && host_len > 0)
		valid = check_ipv4(ep, host_len);
	else
		valid = check_hostname(ep, host_len);
	if (!valid)
		return mk_errf(err, errlen, -EINVAL,
			"transport endpoint '%s': host is not a hostname or IPv4 address",
			quote(q, ep, len));
	return 0;
}

int
mk_desc_check_name_len(const char *name, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len == 0)
		return mk_errf(err, errlen, -EINVAL, "empty segment name");
	if (len > MK_SEGMENT_NAME_MAX)
		return mk_errf(err, errlen, -EINVAL,
			"segment name of %zu bytes (at most %d)", len, MK_SEGMENT_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (name[i] == '\0')
			return mk_errf(err, errlen, -EINVAL,
				"NUL inside the segment name at byte %zu", i);
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
			return mk_errf(err, errlen, -EINVAL,
				"segment name byte %zu is 0x%02x, not printable ASCII",
				i, (unsigned int)(unsigned char)name[i]);
	}
	return 0;
}

int
mk_desc_check_numbers(uint64_t size, uint64_t address, uint64_t offset, char *err,
	size_t errlen)
{
	if (size == 0)
		return mk_errf(err, errlen, -EINVAL, "buffer size 0");
	if (address == 0)
		return mk_errf(err, errlen, -EINVAL, "buffer address 0");
	if (size - 1 > UINT64_MAX - address)
		return mk_errf(err, errlen, -EINVAL,
			"buffer at 0x%" PRIx64 " of %" PRIu64 " bytes runs past 2^64",
			address, size);
	if (offset >= address)
		return mk_errf(err, errlen, -EINVAL,
			"offset 0x%" PRIx64 " not below the buffer address 0x%" PRIx64,
			offset, address);
	return 0;
}

int
mk_desc_check_endpoint(const char *endpoint, char *err, size_t errlen)
{
	if (endpoint == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL transport endpoint");
	return mk_desc_check_endpoint_len(endpoint, strnlen(endpoint, MK_ENDPOINT_MAX + 1),
		err, errlen);
}

int
mk_desc_check_name(const char *name, char *err, size_t errlen)
{
	if (name == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL segment name");
	return mk_desc_check_name_len(name, strnlen(name, MK_SEGMENT_NAME_MAX + 1), err, errlen);
}

int
mk_desc_check(const struct mk_desc *d, char *err, size_t errlen)
{
	size_t name_len, ep_len;
	int rc;

	if (d == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL descriptor");
	name_len = strnlen(d->segment_name, sizeof(d->segment_name));
	ep_len = strnlen(d->transport_endpoint, sizeof(d->transport_endpoint));
	if (name_len == sizeof(d->segment_name) || ep_len == sizeof(d->transport_endpoint))
		return mk_errf(err, errlen, -EMSGSIZE, "descriptor string not terminated");
	rc = mk_desc_check_name_len(d->segment_name, name_len, err, errlen);
	if (rc == 0)
		rc = mk_desc_check_endpoint_len(d->transport_endpoint, ep_len, err, errlen);
	if (rc == 0)
		rc = mk_desc_check_numbers(d->size, d->buffer_address, d->offset, err, errlen);
	return rc;
}

size_t
mk_desc_encoded_len(const struct mk_desc *d)
{
	return MK_DESC_BIN_MIN + strnlen(d->segment_name, sizeof(d->segment_name)) +
		strnlen(d->transport_endpoint, sizeof(d->transport_endpoint));
}

static void
put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = bytes; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

int
mk_desc_encode(const struct mk_desc *d, void *buf, size_t cap, char *err, size_t errlen)
{
	uint8_t *p = buf;
	size_t name_len, ep_len, len;
	int rc;

	if (buf == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL output buffer");
	rc = mk_desc_check(d, err, errlen);
	if (rc != 0)
		return rc == -EMSGSIZE ? -EINVAL : rc;
	len = mk_desc_encoded_len(d);
	if (cap < len)
		return mk_errf(err, errlen, -EMSGSIZE,
			"descriptor needs %zu bytes, the buffer holds %zu", len, cap);
	name_len = strlen(d->segment_name);
	ep_len = strlen(d->transport_endpoint);
	put_le(p, BIN_MAGIC, 4);
	put_le(p + BIN_OFF_VERSION, MK_DESC_VERSION, 2);
	put_le(p + BIN_OFF_FLAGS, 0, 2);
	put_le(p + BIN_OFF_LENGTH, len, 4);
	put_le(p + BIN_OFF_RKEY, d->rkey, 4);
	put_le(p + BIN_OFF_SIZE, d->size, 8);
	put_le(p + BIN_OFF_ADDRESS, d->buffer_address, 8);
	put_le(p + BIN_OFF_OFFSET, d->offset, 8);
	p[BIN_OFF_NAME_LEN] = (uint8_t)name_len;
	p[BIN_OFF_EP_LEN] = (uint8_t)ep_len;
	memcpy(p + BIN_OFF_STRINGS, d->segment_name, name_len);
	memcpy(p + BIN_OFF_STRINGS + name_len, d->transport_endpoint, ep_len);
	put_le(p + len - BIN_CRC_BYTES, mk_crc32c(p, len - BIN_CRC_BYTES), 4);
	return (int)len;
}

int
mk_desc_decode(const void *buf, size_t len, struct mk_desc *d, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	struct mk_desc out;
	uint64_t total, v;
	size_t name_len, ep_len;
	uint32_t crc;
	int rc;

	if (buf == NULL || d == NULL)
		return mk_errf(err, errlen, -EINVAL, "NULL argument");
	if (len < MK_DESC_BIN_MIN)
		return mk_errf(err, errlen, -EMSGSIZE,
			"descriptor of %zu bytes, shorter than the fixed %d", len, MK_DESC_BIN_MIN);
	v = get_le(p, 4);
	if (v != BIN_MAGIC)
		return mk_errf(err, errlen, -EPROTO,
			"bad magic 0x%08" PRIx64 " (want 0x%08" PRIx32 ")", v, BIN_MAGIC);
	v = get_le(p + BIN_OFF_VERSION, 2);
	if (v != MK_DESC_VERSION)
		return mk_errf(err, errlen, -EPROTO,
			"descriptor version %" PRIu64 " (only %d is known)", v, MK_DESC_VERSION);
	v = get_le(p + BIN_OFF_FLAGS, 2);
	if (v != 0)
		return mk_errf(err, errlen, -EPROTO,
			"descriptor flags 0x%04" PRIx64 " (none defined)", v);
	total = get_le(p + BIN_OFF_LENGTH, 4);
	if (total != len)
		return mk_errf(err, errlen, -EMSGSIZE,
			"descriptor length field %" PRIu64 " but %zu bytes given", total, len);
	crc = (uint32_t)get_le(p + len - BIN_CRC_BYTES, 4);
	if (crc != mk_crc32c(p, len - BIN_CRC_BYTES))
		return mk_errf(err, errlen, -EPROTO, "descriptor checksum mismatch");
	name_len = p[BIN_OFF_NAME_LEN];
	ep_len = p[BIN_OFF_EP_LEN];
	if (MK_DESC_BIN_MIN + name_len + ep_len != len)
		return mk_errf(err, errlen, -EMSGSIZE,
			"string lengths %zu + %zu do not fill a %zu-byte descriptor",
			name_len, ep_len, len);

	memset(&out, 0, sizeof(out));
	out.rkey = (uint32_t)get_le(p + BIN_OFF_RKEY, 4);
	out.size = get_le(p + BIN_OFF_SIZE, 8);
	out.buffer_address = get_le(p + BIN_OFF_ADDRESS, 8);
	out.offset = get_le(p + BIN_OFF_OFFSET, 8);
	rc = mk_desc_check_name_len((const char *)p + BIN_OFF_STRINGS, name_len, err, errlen);
	if (rc == 0)
		rc = mk_desc_check_endpoint_len((const char *)p + BIN_OFF_STRINGS + name_len,
			ep_len, err, errlen);
	if (rc == 0)
		rc = mk_desc_check_numbers(out.size, out.buffer_address, out.offset, err,
			errlen);
	if (rc != 0)
		return rc;
	memcpy(out.segment_name, p + BIN_OFF_STRINGS, name_len);
	memcpy(out.transport_endpoint, p + BIN_OFF_STRINGS + name_len, ep_len);
	*d = out;
	return 0;
}

int
mk_desc_from_buffer(const struct mk_buffer *b, struct mk_desc *d)
{
	const struct mk_allocator *a;
	int rc;

	if (b == NULL || d == NULL)
		return -EINVAL;
	a = mk_registry_lookup(b->alloc_id, b->alloc_gen, &rc);
	if (a == NULL)
		return rc;
	memset(d, 0, sizeof(*d));
	d->size = b->size;
	d->buffer_address = (uint64_t)(uintptr_t)b->data;
	d->offset = b->offset;
	d->rkey = a->rkey;
	memcpy(d->segment_name, a->name, sizeof(d->segment_name));
	memcpy(d->transport_endpoint, a->endpoint, sizeof(d->transport_endpoint));
	return 0;
}
