/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "buffer", descriptor half: the binary layout byte by byte, round trips of random
 * descriptors through both forms, every class of corrupt input refused with its documented
 * errno (truncation at every length, every byte flipped, bad magic, version, flags, checksum,
 * lengths, field values), the endpoint syntax, and the JSON form's types, required and unknown
 * fields and exact 64-bit values.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_descriptor.h"
#include "mk_test.h"

/** Random descriptors of the round trips; mk_test_long() runs 100 times more. */
#define BIN_ROUND_TRIPS		100000
#define JSON_ROUND_TRIPS	20000
/** Random descriptors whose every byte is flipped. */
#define FLIP_DESCRIPTORS	64

/* Bit by bit, as the polynomial's definition reads: the table version is checked against it. */
static uint32_t
crc32c_bitwise(const uint8_t *p, size_t len)
{
	uint32_t crc = UINT32_MAX;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (UINT32_C(0x82f63b78) & (0u - (crc & 1)));
	}
	return ~crc;
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

/* After editing an encoded descriptor: its checksum made right again. */
static void
reseal(uint8_t *p, size_t len)
{
	put_le(p + len - 4, crc32c_bitwise(p, len - 4), 4);
}

static uint64_t
random_u64_scaled(uint64_t *seed)
{
	return mk_test_next(seed) >> mk_test_below(seed, 64);
}

static void
random_hostname(uint64_t *seed, char *s, size_t cap)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	unsigned int labels = 1 + (unsigned int)mk_test_below(seed, 4), l, i, n;
	size_t len = 0;

	for (l = 0; l < labels; l++) {
		n = 1 + (unsigned int)mk_test_below(seed, 20);
		if (l > 0)
			s[len++] = '.';
		for (i = 0; i < n && len + 1 < cap; i++) {
			char c = chars[mk_test_below(seed, sizeof(chars) - 1)];

			/* letters first, so it is no IPv4; no hyphen at either end */
			if (i == 0)
				c = (char)('a' + mk_test_below(seed, 26));
			else if (i + 1 == n && c == '-')
				c = 'z';
			s[len++] = c;
		}
	}
	s[len] = '\0';
}

static void
random_endpoint(uint64_t *seed, char *ep, size_t cap)
{
	char host[128];
	unsigned int port = 1 + (unsigned int)mk_test_below(seed, 65535);
	uint64_t r = mk_test_next(seed);

	switch (mk_test_below(seed, 5)) {
	case 0:
		ep[0] = '\0';
		return;
	case 1:
		snprintf(host, sizeof(host), "%u.%u.%u.%u", (unsigned int)(r & 0xff),
			(unsigned int)(r >> 8 & 0xff), (unsigned int)(r >> 16 & 0xff),
			(unsigned int)(r >> 24 & 0xff));
		break;
	case 2:
		snprintf(host, sizeof(host), "[%x:%x:%x:%x:%x:%x:%x:%x]",
			(unsigned int)(r & 0xffff), (unsigned int)(r >> 16 & 0xffff),
			(unsigned int)(r >> 32 & 0xffff), (unsigned int)(r >> 48),
			(unsigned int)mk_test_below(seed, 65536),
			(unsigned int)mk_test_below(seed, 65536),
			(unsigned int)mk_test_below(seed, 65536),
			(unsigned int)mk_test_below(seed, 65536));
		break;
	case 3:
		snprintf(host, sizeof(host), "[fe80::%x:%x]", (unsigned int)(r & 0xffff),
			(unsigned int)(r >> 16 & 0xffff));
		break;
	default:
		random_hostname(seed, host, sizeof(host));
		break;
	}
	snprintf(ep, cap, "%s:%u", host, port);
}

/* A descriptor that keeps every rule, with values of every magnitude. */
static void
random_desc(uint64_t *seed, struct mk_desc *d)
{
	uint64_t max_size;
	size_t n, i;

	memset(d, 0, sizeof(*d));
	d->buffer_address = random_u64_scaled(seed);
	if (d->buffer_address == 0)
		d->buffer_address = 1;
	max_size = UINT64_MAX - d->buffer_address + 1;
	d->size = 1 + random_u64_scaled(seed) % max_size;
	d->offset = random_u64_scaled(seed) % d->buffer_address;
	d->rkey = (uint32_t)(mk_test_below(seed, 4) == 0 ? 0 : mk_test_next(seed));
	n = mk_test_below(seed, 8) == 0 ? MK_SEGMENT_NAME_MAX : 1 + mk_test_below(seed, 40);
	for (i = 0; i < n; i++)
		d->segment_name[i] = (char)(0x20 + mk_test_below(seed, 0x7f - 0x20));
	random_endpoint(seed, d->transport_endpoint, sizeof(d->transport_endpoint));
}

static void
sample_desc(struct mk_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->size = 4096;
	d->buffer_address = UINT64_C(0x7f0000001000);
	d->offset = 0x1000;
	d->rkey = 0x11223344;
	strcpy(d->segment_name, "seg0");
	strcpy(d->transport_endpoint, "10.0.0.2:7000");
}

static bool
is_decode_errno(int rc)
{
	return rc == -EINVAL || rc == -EPROTO || rc == -EMSGSIZE;
}

static void
test_crc32c(void)
{
	uint64_t seed = 7;
	uint8_t buf[600];
	size_t i, len;
	int k;

	CU_ASSERT_EQUAL(mk_crc32c("123456789", 9), UINT32_C(0xe3069283));
	CU_ASSERT_EQUAL(mk_crc32c("", 0), 0);
	for (k = 0; k < 200; k++) {
		len = mk_test_below(&seed, sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)mk_test_next(&seed);
		CU_ASSERT_EQUAL(mk_crc32c(buf, len), crc32c_bitwise(buf, len));
	}
}

/* The table of mk_descriptor.h, byte by byte. */
static void
test_bin_layout(void)
{
	static const uint8_t magic[4] = { 'M', 'K', 'D', 'S' };
	uint8_t p[MK_DESC_BIN_MAX];
	struct mk_desc d;
	int len;

	sample_desc(&d);
	len = mk_desc_encode(&d, p, sizeof(p), NULL, 0);
	CU_ASSERT_EQUAL_FATAL(len, MK_DESC_BIN_MIN + 4 + 13);
	CU_ASSERT_EQUAL(mk_desc_encoded_len(&d), (size_t)len);
	CU_ASSERT_EQUAL(memcmp(p, magic, 4), 0);
	CU_ASSERT_EQUAL(get_le(p + 4, 2), 1);
	CU_ASSERT_EQUAL(get_le(p + 6, 2), 0);
	CU_ASSERT_EQUAL(get_le(p + 8, 4), (uint64_t)len);
	CU_ASSERT_EQUAL(get_le(p + 12, 4), 0x11223344);
	CU_ASSERT_EQUAL(get_le(p + 16, 8), 4096);
	CU_ASSERT_EQUAL(get_le(p + 24, 8), UINT64_C(0x7f0000001000));
	CU_ASSERT_EQUAL(get_le(p + 32, 8), 0x1000);
	CU_ASSERT_EQUAL(p[40], 4);
	CU_ASSERT_EQUAL(p[41], 13);
	CU_ASSERT_EQUAL(memcmp(p + 42, "seg010.0.0.2:7000", 17), 0);
	CU_ASSERT_EQUAL(get_le(p + len - 4, 4), crc32c_bitwise(p, (size_t)len - 4));
	/* the lowest byte first: little-endian whatever the host */
	CU_ASSERT_EQUAL(p[12], 0x44);
	CU_ASSERT_EQUAL(p[16], 0x00);
	CU_ASSERT_EQUAL(p[17], 0x10);
}

static void
test_bin_round_trip(void)
{
	uint64_t seed = 11, i, n = BIN_ROUND_TRIPS * (mk_test_long() ? 100 : 1);
	uint8_t p[MK_DESC_BIN_MAX], q[MK_DESC_BIN_MAX];
	struct mk_desc d, e;
	char err[128];
	int len;

	for (i = 0; i < n; i++) {
		random_desc(&seed, &d);
		REQUIRE(mk_desc_check(&d, err, sizeof(err)) == 0);
		len = mk_desc_encode(&d, p, sizeof(p), err, sizeof(err));
		REQUIRE(len >= MK_DESC_BIN_MIN && (size_t)len == mk_desc_encoded_len(&d));
		memset(&e, 0xa5, sizeof(e));
		REQUIRE(mk_desc_decode(p, (size_t)len, &e, err, sizeof(err)) == 0);
		REQUIRE(memcmp(&d, &e, sizeof(d)) == 0);
		/* and the encoding is canonical: the decoded value writes the same bytes */
		REQUIRE(mk_desc_encode(&e, q, sizeof(q), NULL, 0) == len);
		REQUIRE(memcmp(p, q, (size_t)len) == 0);
	}
out:
	if (i < n)
		fprintf(stderr, "binary round trip failed at descriptor %" PRIu64 ": %s\n", i, err);
}

/* Cut short at every length, or with bytes after it: -EMSGSIZE, and nothing written. */
static void
test_bin_truncated(void)
{
	uint8_t p[MK_DESC_BIN_MAX + 8];
	struct mk_desc d, e, untouched;
	uint64_t seed = 3;
	size_t k;
	int len, j;

	for (j = 0; j < 8; j++) {
		random_desc(&seed, &d);
		len = mk_desc_encode(&d, p, sizeof(p), NULL, 0);
		CU_ASSERT_FATAL(len > 0);
		memset(&untouched, 0x5a, sizeof(untouched));
		for (k = 0; k < (size_t)len; k++) {
			e = untouched;
			CU_ASSERT_EQUAL(mk_desc_decode(p, k, &e, NULL, 0), -EMSGSIZE);
			CU_ASSERT_EQUAL(memcmp(&e, &untouched, sizeof(e)), 0);
		}
		for (k = 1; k <= 8; k++) {
			p[len + k - 1] = (uint8_t)k;
			CU_ASSERT_EQUAL(mk_desc_decode(p, (size_t)len + k, &e, NULL, 0),
				-EMSGSIZE);
		}
		CU_ASSERT_EQUAL(mk_desc_decode(p, (size_t)len, &e, NULL, 0), 0);
	}
}

/*
 * Every byte flipped (all bits, and each single bit): refused with a decode errno, or a
 * descriptor that writes exactly the flipped bytes (the checksum makes that case never occur,
 * but the property is what matters).
 */
static void
test_bin_flipped(void)
{
	uint8_t p[MK_DESC_BIN_MAX], q[MK_DESC_BIN_MAX], r[MK_DESC_BIN_MAX];
	uint64_t seed = 5, refused = 0, tries = 0;
	struct mk_desc d, e;
	size_t k;
	int len, j, bit, rc;

	for (j = 0; j < FLIP_DESCRIPTORS; j++) {
		random_desc(&seed, &d);
		len = mk_desc_encode(&d, p, sizeof(p), NULL, 0);
		CU_ASSERT_FATAL(len > 0);
		for (k = 0; k < (size_t)len; k++) {
			for (bit = -1; bit < 8; bit++) {
				memcpy(q, p, (size_t)len);
				q[k] ^= bit < 0 ? 0xff : (uint8_t)(1u << bit);
				rc = mk_desc_decode(q, (size_t)len, &e, NULL, 0);
				tries++;
				if (rc != 0) {
					CU_ASSERT(is_decode_errno(rc));
					refused++;
					continue;
				}
				CU_ASSERT_EQUAL(mk_desc_encode(&e, r, sizeof(r), NULL, 0), len);
				CU_ASSERT_EQUAL(memcmp(q, r, (size_t)len), 0);
			}
		}
	}
	/* CRC32C catches every error of up to 32 consecutive bits */
	CU_ASSERT_EQUAL(refused, tries);
}

/* One corruption, resealed so that it reaches the check it is aimed at. */
struct corruption {
	const char *what;
	size_t off;		/* byte to set */
	uint64_t value;
	unsigned int bytes;
	int want;
};

static void
test_bin_corrupt(void)
{
	static const struct corruption cases[] = {
		{ "magic", 0, 0x53444b4e, 4, -EPROTO },
		{ "version 0", 4, 0, 2, -EPROTO },
		{ "version 2", 4, 2, 2, -EPROTO },
		{ "flags", 6, 1, 2, -EPROTO },
		{ "name length +1", 40, 5, 1, -EMSGSIZE },
		{ "name length -1", 40, 3, 1, -EMSGSIZE },
		{ "endpoint length", 41, 255, 1, -EMSGSIZE },
		{ "size 0", 16, 0, 8, -EINVAL },
		{ "address 0", 24, 0, 8, -EINVAL },
		{ "address + size past 2^64", 24, UINT64_C(0xfffffffffffff001), 8, -EINVAL },
		{ "offset = address", 32, UINT64_C(0x7f0000001000), 8, -EINVAL },
		{ "NUL in the name", 43, 0, 1, -EINVAL },
		{ "control byte in the name", 42, '\n', 1, -EINVAL },
		{ "byte 0x80 in the name", 45, 0x80, 1, -EINVAL },
		{ "port separator", 46 + 8, '.', 1, -EINVAL },
		{ "port 0", 46 + 9, '0', 1, -EINVAL },
		{ "NUL in the endpoint", 46, 0, 1, -EINVAL },
		{ "leading zero in IPv4", 46, '0', 1, -EINVAL },
	};
	uint8_t p[MK_DESC_BIN_MAX], q[MK_DESC_BIN_MAX];
	struct mk_desc d, e;
	char err[160];
	size_t i;
	int len, rc;

	sample_desc(&d);
	len = mk_desc_encode(&d, p, sizeof(p), NULL, 0);
	CU_ASSERT_FATAL(len > 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(q, p, (size_t)len);
		put_le(q + cases[i].off, cases[i].value, cases[i].bytes);
		reseal(q, (size_t)len);
		err[0] = '\0';
		rc = mk_desc_decode(q, (size_t)len, &e, err, sizeof(err));
		if (rc != cases[i].want)
			fprintf(stderr, "corruption '%s': %d (%s), want %d\n", cases[i].what, rc,
				err, cases[i].want);
		CU_ASSERT_EQUAL(rc, cases[i].want);
		CU_ASSERT(strlen(err) > 0 && strchr(err, '\n') == NULL);
	}
	/* a bad checksum alone */
	memcpy(q, p, (size_t)len);
	q[len - 1] ^= 1;
	CU_ASSERT_EQUAL(mk_desc_decode(q, (size_t)len, &e, err, sizeof(err)), -EPROTO);
	/* a length field that disagrees with the input, checksum right */
	memcpy(q, p, (size_t)len);
	put_le(q + 8, (uint64_t)len + 1, 4);
	reseal(q, (size_t)len);
	CU_ASSERT_EQUAL(mk_desc_decode(q, (size_t)len, &e, NULL, 0), -EMSGSIZE);
	/* an empty name, the lengths and the checksum made consistent */
	memset(q, 0, sizeof(q));
	memcpy(q, p, 40);
	q[40] = 0;
	q[41] = 0;
	put_le(q + 8, MK_DESC_BIN_MIN, 4);
	reseal(q, MK_DESC_BIN_MIN);
	CU_ASSERT_EQUAL(mk_desc_decode(q, MK_DESC_BIN_MIN, &e, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty segment name"));
	/* with a name and no endpoint it is a local-transport descriptor */
	q[40] = 1;
	q[42] = 'x';
	put_le(q + 8, MK_DESC_BIN_MIN + 1, 4);
	reseal(q, MK_DESC_BIN_MIN + 1);
	CU_ASSERT_EQUAL(mk_desc_decode(q, MK_DESC_BIN_MIN + 1, &e, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(e.segment_name, "x");
	CU_ASSERT_STRING_EQUAL(e.transport_endpoint, "");
	CU_ASSERT_EQUAL(mk_desc_decode(NULL, 10, &e, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_decode(p, (size_t)len, NULL, NULL, 0), -EINVAL);
}

static void
test_encode_errors(void)
{
	uint8_t p[MK_DESC_BIN_MAX];
	struct mk_desc d;
	char err[128];
	int len;

	sample_desc(&d);
	len = (int)mk_desc_encoded_len(&d);
	CU_ASSERT_EQUAL(mk_desc_encode(&d, p, (size_t)len - 1, err, sizeof(err)), -EMSGSIZE);
	CU_ASSERT_EQUAL(mk_desc_encode(&d, p, (size_t)len, NULL, 0), len);
	CU_ASSERT_EQUAL(mk_desc_encode(&d, NULL, sizeof(p), NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_encode(NULL, p, sizeof(p), NULL, 0), -EINVAL);
	d.size = 0;
	CU_ASSERT_EQUAL(mk_desc_encode(&d, p, sizeof(p), err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "size 0"));
	sample_desc(&d);
	memset(d.segment_name, 'a', sizeof(d.segment_name));
	CU_ASSERT_EQUAL(mk_desc_check(&d, NULL, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(mk_desc_encode(&d, p, sizeof(p), NULL, 0), -EINVAL);
	sample_desc(&d);
	strcpy(d.transport_endpoint, "nohost");
	CU_ASSERT_EQUAL(mk_desc_encode(&d, p, sizeof(p), NULL, 0), -EINVAL);
	/* the longest descriptor fits MK_DESC_BIN_MAX: three labels of 63, one of 57, a port */
	sample_desc(&d);
	memset(d.segment_name, 'n', MK_SEGMENT_NAME_MAX);
	snprintf(d.transport_endpoint, sizeof(d.transport_endpoint),
		"%.63s.%.63s.%.63s.%.57s:65535", d.segment_name, d.segment_name, d.segment_name,
		d.segment_name);
	CU_ASSERT_EQUAL(strlen(d.transport_endpoint), MK_ENDPOINT_MAX);
	CU_ASSERT_EQUAL(mk_desc_check(&d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mk_desc_encode(&d, p, sizeof(p), NULL, 0), MK_DESC_BIN_MAX);
}

static void
test_endpoint_syntax(void)
{
	static const char *const good[] = {
		"", "10.0.0.1:1", "255.255.255.255:65535", "0.0.0.0:80", "localhost:8080",
		"node-1.example.com:7000", "a:1", "A1-b.C2:12345", "[::1]:5000",
		"[fe80::1:2]:1", "[2001:db8::ff00:42:8329]:443", "[::ffff:10.0.0.1]:9",
		"1a.2b:1", "host.123:9",
	};
	static const char *const bad[] = {
		":80", "host", "host:", "host:0", "host:65536", "host:070", "host:+80",
		"host:8 0", "host :80", "-host:80", "host-:80", "ho_st:80", "a..b:80",
		".host:80", "host.:80", "1.2.3:80", "1.2.3.4.5:80", "256.1.1.1:80",
		"01.2.3.4:80", "1.2.3.4.:80", "::1:80", "[::1:80", "::1]:80", "[]:80",
		"[not-ipv6]:80", "[fe80::1%eth0]:80", "[1.2.3.4]:80", "host:80:90",
		"h\xc3\xa9:80", "host:99999",
	};
	char label[70], err[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = mk_desc_check_endpoint(good[i], err, sizeof(err));

		if (rc != 0)
			fprintf(stderr, "endpoint '%s' refused: %s\n", good[i], err);
		CU_ASSERT_EQUAL(rc, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (mk_desc_check_endpoint(bad[i], err, sizeof(err)) != -EINVAL)
			fprintf(stderr, "endpoint '%s' accepted\n", bad[i]);
		CU_ASSERT(strlen(err) > 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(mk_desc_check_endpoint(bad[i], NULL, 0), -EINVAL);
	/* a label of 63 is the longest */
	memset(label, 'x', 63);
	strcpy(label + 63, ":1");
	CU_ASSERT_EQUAL(mk_desc_check_endpoint(label, NULL, 0), 0);
	memset(label, 'x', 64);
	strcpy(label + 64, ":1");
	CU_ASSERT_EQUAL(mk_desc_check_endpoint(label, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_check_endpoint(NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_check_name("seg 0 (spare)", NULL, 0), 0);
	CU_ASSERT_EQUAL(mk_desc_check_name("", NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_check_name("tab\there", NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_check_name(NULL, NULL, 0), -EINVAL);
}

static void
test_json_round_trip(void)
{
	uint64_t seed = 13, i, n = JSON_ROUND_TRIPS * (mk_test_long() ? 100 : 1);
	char text[MK_DESC_JSON_MAX], again[MK_DESC_JSON_MAX], err[128];
	struct mk_desc d, e;
	int len;

	for (i = 0; i < n; i++) {
		random_desc(&seed, &d);
		len = mk_desc_to_json(&d, text, sizeof(text), err, sizeof(err));
		REQUIRE(len > 0 && (size_t)len == strlen(text));
		memset(&e, 0xa5, sizeof(e));
		REQUIRE(mk_desc_from_json(text, (size_t)len, &e, err, sizeof(err)) == 0);
		REQUIRE(memcmp(&d, &e, sizeof(d)) == 0);
		REQUIRE(mk_desc_to_json(&e, again, sizeof(again), NULL, 0) == len);
		REQUIRE(strcmp(text, again) == 0);
	}
out:
	if (i < n)
		fprintf(stderr, "JSON round trip failed at descriptor %" PRIu64 ": %s\n", i, err);
}

/* Mooncake's names, exact integers however large, and the room MK_DESC_JSON_MAX promises. */
static void
test_json_fields(void)
{
	char text[MK_DESC_JSON_MAX], err[128];
	struct mk_desc d, e;
	int len;

	sample_desc(&d);
	len = mk_desc_to_json(&d, text, sizeof(text), NULL, 0);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_STRING_EQUAL(text,
		"{\"size_\":4096,\"buffer_address_\":139637976731648,"
		"\"transport_endpoint_\":\"10.0.0.2:7000\",\"mk_version\":1,"
		"\"mk_segment_name\":\"seg0\",\"mk_offset\":\"0x1000\",\"mk_rkey\":287454020,"
		"\"mk_size\":\"0x1000\",\"mk_buffer_address\":\"0x7f0000001000\"}");
	CU_ASSERT_EQUAL(mk_desc_to_json(&d, text, (size_t)len, err, sizeof(err)), -EMSGSIZE);
	CU_ASSERT_EQUAL(mk_desc_to_json(&d, text, (size_t)len + 1, NULL, 0), len);

	/* above 2^53: exact in the text and through the hex fields */
	d.buffer_address = UINT64_C(0xfffffffffffff000);
	d.size = 0xfff;
	d.offset = UINT64_C(0x7ffffffffffff123);
	CU_ASSERT(mk_desc_to_json(&d, text, sizeof(text), NULL, 0) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"buffer_address_\":18446744073709547520,"));
	CU_ASSERT_EQUAL(mk_desc_from_json(text, strlen(text), &e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&d, &e, sizeof(d)), 0);

	/* the largest text: names full of characters that JSON escapes */
	memset(d.segment_name, '"', MK_SEGMENT_NAME_MAX);
	d.segment_name[MK_SEGMENT_NAME_MAX] = '\0';
	d.rkey = UINT32_MAX;
	d.size = 1;
	d.buffer_address = UINT64_MAX;
	d.offset = UINT64_MAX - 1;
	strcpy(d.transport_endpoint, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535");
	len = mk_desc_to_json(&d, text, sizeof(text), err, sizeof(err));
	CU_ASSERT(len > 2 * MK_SEGMENT_NAME_MAX && len < MK_DESC_JSON_MAX);
	CU_ASSERT_EQUAL(mk_desc_from_json(text, (size_t)len, &e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&d, &e, sizeof(d)), 0);
}

/* The fields of a JSON descriptor as text, to be left out or replaced one at a time. */
static const char *const json_fields[][2] = {
	{ "size_", "4096" },
	{ "buffer_address_", "139637976731648" },
	{ "transport_endpoint_", "\"10.0.0.2:7000\"" },
	{ "mk_version", "1" },
	{ "mk_segment_name", "\"seg0\"" },
	{ "mk_offset", "\"0x1000\"" },
	{ "mk_rkey", "7" },
	{ "mk_size", "\"0x1000\"" },
	{ "mk_buffer_address", "\"0x7f0000001000\"" },
};
#define JSON_NFIELDS (sizeof(json_fields) / sizeof(json_fields[0]))
/* json_fields from this index on are optional */
#define JSON_OPTIONAL 7

/* The object with field skip left out and field repl's value replaced by value. */
static int
json_build(char *buf, size_t cap, size_t skip, size_t repl, const char *value, const char *extra)
{
	size_t i, len = 0;

	len += (size_t)snprintf(buf + len, cap - len, "{");
	for (i = 0; i < JSON_NFIELDS; i++) {
		if (i == skip)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s\"%s\": %s", len > 1 ? ", " : "",
			json_fields[i][0], i == repl ? value : json_fields[i][1]);
	}
	len += (size_t)snprintf(buf + len, cap - len, "%s}", extra != NULL ? extra : "");
	return (int)len;
}

static int
json_try(size_t skip, size_t repl, const char *value, const char *extra, struct mk_desc *d,
	char *err, size_t errlen)
{
	char text[4096];
	int len = json_build(text, sizeof(text), skip, repl, value, extra);

	return mk_desc_from_json(text, (size_t)len, d, err, errlen);
}

static void
test_json_refused(void)
{
	/* per field: a value of a wrong type, and a wrong value of the right type */
	static const char *const wrong_type[] = {
		"\"4096\"", "\"139637976731648\"", "10", "\"1\"", "5", "4096", "\"7\"", "4096",
		"139637976731648",
	};
	static const struct { size_t field; const char *value; int want; } wrong_value[] = {
		{ 0, "4096.5", -EINVAL }, { 0, "-1", -EINVAL }, { 0, "0", -EINVAL },
		{ 0, "4097", -EINVAL },			/* disagrees with mk_size */
		{ 1, "1e300", -EINVAL }, { 2, "\"nohost\"", -EINVAL }, { 3, "2", -EPROTO },
		{ 3, "1.5", -EPROTO }, { 4, "\"\"", -EINVAL }, { 4, "\"a\\nb\"", -EINVAL },
		{ 4, "\"a\\u0000b\"", -EINVAL }, { 5, "\"0x\"", -EINVAL },
		{ 5, "\"1000\"", -EINVAL }, { 5, "\"0x10000000000000000\"", -EINVAL },
		{ 5, "\"0xg\"", -EINVAL }, { 5, "\"0x7f0000001000\"", -EINVAL },
		{ 6, "4294967296", -EINVAL }, { 6, "-1", -EINVAL }, { 7, "\"4096\"", -EINVAL },
		{ 8, "\"0x7f0000001001\"", -EINVAL },
	};
	static const char *const not_object[] = {
		"", "[]", "1", "\"x\"", "null", "{", "{\"size_\":}", "{} {}", "{}x",
		"{\"size_\":1,}",
	};
	static const char big[] = "{\"size_\":9007199254740992,\"buffer_address_\":4096,"
		"\"transport_endpoint_\":\"\",\"mk_version\":1,\"mk_segment_name\":\"s\","
		"\"mk_offset\":\"0x0\",\"mk_rkey\":0}";
	char text[MK_SEGMENT_NAME_MAX + 64], err[160];
	struct mk_desc d, untouched;
	size_t i;
	int rc;

	memset(&untouched, 0x5a, sizeof(untouched));
	d = untouched;
	CU_ASSERT_EQUAL(json_try(JSON_NFIELDS, JSON_NFIELDS, NULL, NULL, &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.rkey, 7);
	for (i = 0; i < JSON_NFIELDS; i++) {
		d = untouched;
		err[0] = '\0';
		rc = json_try(JSON_NFIELDS, i, wrong_type[i], NULL, &d, err, sizeof(err));
		if (rc != -EINVAL)
			fprintf(stderr, "%s: %s accepted (%d)\n", json_fields[i][0], wrong_type[i],
				rc);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, json_fields[i][0]));
		CU_ASSERT_EQUAL(memcmp(&d, &untouched, sizeof(d)), 0);
		rc = json_try(i, JSON_NFIELDS, NULL, NULL, &d, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, i < JSON_OPTIONAL ? -EINVAL : 0);
		if (i < JSON_OPTIONAL)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing"));
		/* null is a wrong type too */
		CU_ASSERT_EQUAL(json_try(JSON_NFIELDS, i, "null", NULL, &d, NULL, 0), -EINVAL);
	}
	for (i = 0; i < sizeof(wrong_value) / sizeof(wrong_value[0]); i++) {
		size_t field = wrong_value[i].field;

		err[0] = '\0';
		rc = json_try(JSON_NFIELDS, field, wrong_value[i].value, NULL, &d, err,
			sizeof(err));
		if (rc != wrong_value[i].want)
			fprintf(stderr, "%s: %s gave %d (%s)\n", json_fields[field][0],
				wrong_value[i].value, rc, err);
		CU_ASSERT_EQUAL(rc, wrong_value[i].want);
		CU_ASSERT(strlen(err) > 0);
	}
	for (i = 0; i < sizeof(not_object) / sizeof(not_object[0]); i++)
		CU_ASSERT_EQUAL(mk_desc_from_json(not_object[i], strlen(not_object[i]), &d, NULL,
			0), -EPROTO);
	/* a known field twice */
	CU_ASSERT_EQUAL(json_try(JSON_NFIELDS, JSON_NFIELDS, NULL, ", \"mk_rkey\": 7", &d, err,
		sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	/* a name one byte too long */
	text[0] = '"';
	memset(text + 1, 'n', MK_SEGMENT_NAME_MAX + 1);
	strcpy(text + MK_SEGMENT_NAME_MAX + 2, "\"");
	CU_ASSERT_EQUAL(json_try(JSON_NFIELDS, 4, text, NULL, &d, NULL, 0), -EMSGSIZE);
	text[MK_SEGMENT_NAME_MAX + 1] = '"';
	text[MK_SEGMENT_NAME_MAX + 2] = '\0';
	CU_ASSERT_EQUAL(json_try(JSON_NFIELDS, 4, text, NULL, &d, NULL, 0), 0);
	/* without the hex forms, only integers a double holds exactly */
	CU_ASSERT_EQUAL(mk_desc_from_json(big, strlen(big), &d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "2^53"));
	CU_ASSERT_EQUAL(mk_desc_from_json(big, strlen(big) - 1, &d, NULL, 0), -EPROTO);
	/* too long to parse, NULL arguments */
	CU_ASSERT_EQUAL(mk_desc_from_json("{}", MK_DESC_JSON_INPUT_MAX + 1, &d, NULL, 0),
		-EMSGSIZE);
	CU_ASSERT_EQUAL(mk_desc_from_json(NULL, 2, &d, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_from_json("{}", 2, NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_desc_to_json(&d, NULL, 10, NULL, 0), -EINVAL);
}

/* Unknown fields of any type are skipped; the hex forms are optional; spacing is free. */
static void
test_json_unknown_ignored(void)
{
	static const char *const extras[] = {
		", \"foo\": 1", ", \"mk_future\": {\"a\": [1, 2, {\"b\": null}]}",
		", \"Size_\": \"x\", \"size\": [], \"\": true",
		", \"note\": \"\\u00e9t\\u00e9 \\\\u0000 is fine escaped\"",
	};
	struct mk_desc want, d;
	char text[512];
	size_t i;
	int len;

	CU_ASSERT_EQUAL_FATAL(json_try(JSON_NFIELDS, JSON_NFIELDS, NULL, NULL, &want, NULL, 0), 0);
	for (i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		memset(&d, 0, sizeof(d));
		CU_ASSERT_EQUAL(json_try(JSON_NFIELDS, JSON_NFIELDS, NULL, extras[i], &d, NULL, 0),
			0);
		CU_ASSERT_EQUAL(memcmp(&d, &want, sizeof(d)), 0);
	}
	len = json_build(text, sizeof(text) - 8, 7, 8, "\"0x7f0000001000\"", NULL);
	memmove(text + 3, text, (size_t)len + 1);
	memcpy(text, " \n\t", 3);
	strcat(text, "\r\n ");
	CU_ASSERT_EQUAL(mk_desc_from_json(text, strlen(text), &d, NULL, 0), 0);
	CU_ASSERT_EQUAL(memcmp(&d, &want, sizeof(d)), 0);
	/* the length bounds the text: what follows it is not read */
	CU_ASSERT_EQUAL(mk_desc_from_json(text, strlen(text) - 3, &d, NULL, 0), 0);
	CU_ASSERT_EQUAL(mk_desc_from_json(text, strlen(text) - 4, &d, NULL, 0), -EPROTO);
}

/* A buffer's descriptor, on both kinds: its own figures and its segment's, through both forms. */
static void
test_from_buffer(void)
{
	static const enum mk_alloc_kind kinds[] = { MK_ALLOC_KIND_OFFSET, MK_ALLOC_KIND_SLAB };
	struct mk_allocator_conf conf = {
		.name = "seg-desc", .base = (void *)(UINT64_C(0x7e08) << 30), .size = 64 << 20,
		.endpoint = "10.0.0.1:7000", .rkey = 0xbeef,
	};
	uint8_t bin[MK_DESC_BIN_MAX];
	char json[MK_DESC_JSON_MAX];
	struct mk_allocator *a;
	struct mk_desc d, e;
	struct mk_buffer b;
	size_t k;
	int len;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		conf.kind = kinds[k];
		a = mk_allocator_create(&conf);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 5000, 8, &b), 0);
		CU_ASSERT_EQUAL(mk_desc_from_buffer(&b, &d), 0);
		CU_ASSERT_EQUAL(d.size, 5000);
		CU_ASSERT_EQUAL(d.buffer_address, (uint64_t)(uintptr_t)b.data);
		CU_ASSERT_EQUAL(d.offset, b.offset);
		CU_ASSERT_EQUAL(d.rkey, 0xbeef);
		CU_ASSERT_STRING_EQUAL(d.segment_name, "seg-desc");
		CU_ASSERT_STRING_EQUAL(d.transport_endpoint, "10.0.0.1:7000");
		len = mk_desc_encode(&d, bin, sizeof(bin), NULL, 0);
		CU_ASSERT_EQUAL(mk_desc_decode(bin, (size_t)len, &e, NULL, 0), 0);
		CU_ASSERT_EQUAL(memcmp(&d, &e, sizeof(d)), 0);
		len = mk_desc_to_json(&d, json, sizeof(json), NULL, 0);
		CU_ASSERT_EQUAL(mk_desc_from_json(json, (size_t)len, &e, NULL, 0), 0);
		CU_ASSERT_EQUAL(memcmp(&d, &e, sizeof(d)), 0);
		CU_ASSERT_EQUAL(mk_desc_from_buffer(NULL, &d), -EINVAL);
		CU_ASSERT_EQUAL(mk_buffer_free(&b), 0);
		/* the free cleared the handle */
		CU_ASSERT_EQUAL(mk_desc_from_buffer(&b, &d), -EINVAL);
		mk_allocator_destroy(a);
	}
}

int
test_descriptor_add(CU_pSuite s)
{
	static const struct { const char *name; CU_TestFunc fn; } tests[] = {
		{ "desc_crc32c", test_crc32c },
		{ "desc_bin_layout", test_bin_layout },
		{ "desc_bin_round_trip", test_bin_round_trip },
		{ "desc_bin_truncated", test_bin_truncated },
		{ "desc_bin_flipped", test_bin_flipped },
		{ "desc_bin_corrupt", test_bin_corrupt },
		{ "desc_encode_errors", test_encode_errors },
		{ "desc_endpoint_syntax", test_endpoint_syntax },
		{ "desc_json_round_trip", test_json_round_trip },
		{ "desc_json_fields", test_json_fields },
		{ "desc_json_refused", test_json_refused },
		{ "desc_json_unknown_ignored", test_json_unknown_ignored },
		{ "desc_from_buffer", test_from_buffer },
	};
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
