/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_DESCRIPTOR_H
#define MK_DESCRIPTOR_H

/**
 * @file
 * Buffer descriptors: what crosses the network about a buffer so that a remote peer can reach
 * it. The seed's three fields (size, buffer address, transport endpoint) plus the segment
 * name, the offset in the segment and the segment's RDMA remote key (0 when none).
 *
 * Two forms, both validated field by field on the way in:
 *
 * **Binary, version 1.** Little-endian, no padding, 46 + n + m bytes (46 .. 556):
 *
 * | offset  | bytes | field                                                      |
 * |---------|-------|------------------------------------------------------------|
 * | 0       | 4     | magic: the bytes 'M' 'K' 'D' 'S'                           |
 * | 4       | 2     | version: 1                                                 |
 * | 6       | 2     | flags: 0 (none defined in version 1)                       |
 * | 8       | 4     | total length L = 46 + n + m, the checksum included         |
 * | 12      | 4     | rkey                                                       |
 * | 16      | 8     | size                                                       |
 * | 24      | 8     | buffer address                                             |
 * | 32      | 8     | offset                                                     |
 * | 40      | 1     | n: segment name length, 1 .. 255                           |
 * | 41      | 1     | m: transport endpoint length, 0 .. 255                     |
 * | 42      | n     | segment name, no terminating NUL                           |
 * | 42 + n  | m     | transport endpoint, no terminating NUL                     |
 * | L - 4   | 4     | CRC32C (Castagnoli, as iSCSI) of bytes [0, L - 4)          |
 *
 * mk_desc_decode() returns -EMSGSIZE when the input is shorter than 46 bytes, when L is not
 * the input length (truncated input, trailing bytes) or when 46 + n + m is not L; -EPROTO
 * for a wrong magic, version, flags or checksum; -EINVAL for a field value that is wrong
 * (see mk_desc_check()). It reads nothing outside the input.
 *
 * **JSON.** An object with Mooncake's field names for the seed's three fields, so that
 * Mooncake's tools read it, and mkalloc's own fields beside them:
 *
 *     {"size_":4096,"buffer_address_":139637976727552,"transport_endpoint_":"10.0.0.2:7000",
 *      "mk_version":1,"mk_segment_name":"seg0","mk_offset":"0x1000","mk_rkey":0,
 *      "mk_size":"0x1000","mk_buffer_address":"0x7f0000001000"}
 *
 * size_ and buffer_address_ are written as exact decimal integers, but a reader that turns
 * JSON numbers into doubles (cJSON, JavaScript) keeps only 53 bits of them. So the 64-bit
 * values also go out as hex strings (mk_size, mk_buffer_address, and mk_offset, which has no
 * Mooncake field). On reading, mk_size and mk_buffer_address are optional: when present they
 * are the value and the Mooncake number must agree with them (be the double nearest to them);
 * when absent the number must be an integer below 2^53. Every other field above is required;
 * unknown fields are ignored; a known field given twice, of the wrong type, or a string
 * holding \\u0000 is refused with -EINVAL; text that is not one JSON object is -EPROTO, as is
 * an mk_version other than 1; input above MK_DESC_JSON_INPUT_MAX bytes is -EMSGSIZE.
 *
 * **Field rules** (mk_desc_check()): size at least 1; buffer address not 0 and
 * address + size not past 2^64; offset below the address (the segment's base, address -
 * offset, is not NULL); segment name 1 .. 255 bytes of printable ASCII (0x20 .. 0x7e);
 * transport endpoint either empty, for a buffer reachable only on its own host (local
 * transport, e.g. a DPDK secondary process), or "host:port" where host is a hostname
 * (RFC 1123 labels of letters, digits and inner hyphens, at most 253 bytes), a dotted-quad
 * IPv4 address without leading zeros, or an IPv6 address in brackets ("[fe80::1]"; no zone
 * id), and port is a decimal 1 .. 65535 without leading zeros. A host of only digits and
 * dots must be a valid IPv4 address.
 *
 * Functions that refuse input write a one-line reason to @p err (when not NULL, truncated
 * to @p errlen bytes with a NUL) and never print.
 */

#include <stddef.h>
#include <stdint.h>

#include "mk_allocator.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The binary form's version written by mk_desc_encode(), the only one decoded. */
#define MK_DESC_VERSION		1
/** Bytes of the binary form without its two strings. */
#define MK_DESC_BIN_MIN		46
/** Largest binary form: both strings at their longest. */
#define MK_DESC_BIN_MAX		(MK_DESC_BIN_MIN + MK_SEGMENT_NAME_MAX + MK_ENDPOINT_MAX)
/** Room that mk_desc_to_json() needs at most, its NUL included. */
#define MK_DESC_JSON_MAX	2048
/** Longest JSON text mk_desc_from_json() parses (unknown fields make it longer than ours). */
#define MK_DESC_JSON_INPUT_MAX	65536

/** A descriptor. The strings are NUL-terminated. */
struct mk_desc {
	uint64_t size;			/**< bytes of the buffer */
	uint64_t buffer_address;	/**< address of its first byte in the owner's space */
	uint64_t offset;		/**< from the segment's base */
	uint32_t rkey;			/**< RDMA remote key of the segment; 0 when none */
	char segment_name[MK_SEGMENT_NAME_MAX + 1];	/**< segment it lives in */
	char transport_endpoint[MK_ENDPOINT_MAX + 1];	/**< "host:port", "" for local */
};

/**
 * Describe a buffer: its size, address and offset, and its allocator's segment name,
 * endpoint and rkey. Callable from any thread while the allocator exists: it reads only
 * what is fixed when the allocator is created.
 *
 * @param b
 *   The buffer.
 * @param d
 *   Filled in on success.
 * @return
 *   0; -EINVAL for NULL arguments or a cleared handle; -ENODEV when the buffer's allocator
 *   has been destroyed.
 */
int mk_desc_from_buffer(const struct mk_buffer *b, struct mk_desc *d);

/**
 * Check every field of a descriptor against the rules of the file comment.
 *
 * @param d
 *   The descriptor.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   0; -EINVAL for a NULL @p d or a field that breaks a rule; -EMSGSIZE for a string that is
 *   not NUL-terminated within its array.
 */
int mk_desc_check(const struct mk_desc *d, char *err, size_t errlen);

/**
 * Check a transport endpoint: "" or "host:port" as in the file comment.
 *
 * @param endpoint
 *   The endpoint, NUL-terminated.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   0, or -EINVAL (also for NULL or an endpoint longer than MK_ENDPOINT_MAX).
 */
int mk_desc_check_endpoint(const char *endpoint, char *err, size_t errlen);

/**
 * Check a segment name: 1 .. 255 bytes of printable ASCII.
 *
 * @param name
 *   The name, NUL-terminated.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   0, or -EINVAL (also for NULL).
 */
int mk_desc_check_name(const char *name, char *err, size_t errlen);

/**
 * Bytes of the binary form of a descriptor.
 *
 * @param d
 *   The descriptor; its strings NUL-terminated.
 * @return
 *   MK_DESC_BIN_MIN + the two string lengths (not checked against the rules).
 */
size_t mk_desc_encoded_len(const struct mk_desc *d);

/**
 * Write the binary form.
 *
 * @param d
 *   The descriptor; checked with mk_desc_check() first.
 * @param buf
 *   Where to write.
 * @param cap
 *   Bytes at @p buf; MK_DESC_BIN_MAX is always enough.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   The bytes written (MK_DESC_BIN_MIN .. MK_DESC_BIN_MAX); -EINVAL for NULL arguments or
 *   a descriptor that fails mk_desc_check(); -EMSGSIZE when @p cap is too small.
 */
int mk_desc_encode(const struct mk_desc *d, void *buf, size_t cap, char *err, size_t errlen);

/**
 * Read and validate the binary form.
 *
 * @param buf
 *   The bytes.
 * @param len
 *   How many: exactly one descriptor, nothing after it.
 * @param d
 *   Filled in on success; untouched on failure.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   0; -EMSGSIZE, -EPROTO or -EINVAL as in the file comment (-EINVAL also for NULL
 *   arguments).
 */
int mk_desc_decode(const void *buf, size_t len, struct mk_desc *d, char *err, size_t errlen);

/**
 * Write the JSON form, compact, NUL-terminated.
 *
 * @param d
 *   The descriptor; checked with mk_desc_check() first.
 * @param buf
 *   Where to write.
 * @param cap
 *   Bytes at @p buf; MK_DESC_JSON_MAX is always enough.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   The length of the text (without the NUL); -EINVAL for NULL arguments or a descriptor that
 *   fails mk_desc_check(); -EMSGSIZE when @p cap is too small; -ENOMEM when cJSON runs out
 *   of memory.
 */
int mk_desc_to_json(const struct mk_desc *d, char *buf, size_t cap, char *err, size_t errlen);

/**
 * Read and validate the JSON form.
 *
 * @param text
 *   The text; need not be NUL-terminated. White space may surround the object.
 * @param len
 *   Its length in bytes.
 * @param d
 *   Filled in on success; untouched on failure.
 * @param err
 *   NULL, or receives a one-line reason on failure.
 * @param errlen
 *   Bytes at @p err.
 * @return
 *   0; -EPROTO for text that is not one JSON object (or that cJSON cannot parse for want
 *   of memory) or a wrong mk_version; -EMSGSIZE for text above MK_DESC_JSON_INPUT_MAX bytes
 *   or a string above its field's bound; -EINVAL for NULL arguments, a missing, repeated or
 *   wrongly typed field, a string holding \u0000, or a value that breaks a rule.
 */
int mk_desc_from_json(const char *text, size_t len, struct mk_desc *d, char *err,
		size_t errlen);

/**
 * CRC32C (Castagnoli polynomial, reflected, as iSCSI and ext4 use it): the checksum of the
 * binary form. crc32c("123456789") is 0xe3069283.
 *
 * @param data
 *   The bytes.
 * @param len
 *   How many.
 * @return
 *   The checksum.
 */
uint32_t mk_crc32c(const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MK_DESCRIPTOR_H */
