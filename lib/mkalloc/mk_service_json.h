/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SERVICE_JSON_H
#define MK_SERVICE_JSON_H

/**
 * @file
 * The service's configuration as JSON: read, check every field and resolve it into a
 * struct mk_service_conf; and write one back. The mkalloc daemon reads its config this way,
 * and so can any program that embeds the service.
 *
 * The schema. Every key is optional except "segments"; a key that is not listed here is an
 * error, and so is a key given twice. Sizes are an integer of bytes or a string: an integer
 * with an optional binary suffix K, M, G, T or P ("512M", "1G"; either case).
 *
 *     {
 *       "workers":      "auto" | N | [lcore, ...],
 *       "control":      "auto" | false | lcore,  (the control lcore: routing views)
 *       "control_period_us": 0..1000000,  (0 = MK_CONTROL_PERIOD_US)
 *       "routing":      true | false,    (route allocations by the views; default true)
 *       "rebalance":    true | false,    (move capacity between shards; default true)
 *       "rebalance_wait_us": 0..10000000,     (0 = MK_REBALANCE_WAIT_US)
 *       "rebalance_drift_pct": 0..1000,       (0 = no drift moves; default 50)
 *       "rebalance_cooldown_ms": 0..3600000,  (default 1000)
 *       "secondary_gone": "release" | "keep",  (a secondary's buffers when it goes)
 *       "secondary_buffers": 1..16777216,      (per shard; default 65536)
 *       "idle":         "auto" | "spin" | "pause" | "yield",
 *       "burst":        1..64,           (default 32)
 *       "client_depth": 1..65536,        (default 256)
 *       "max_clients":  1..64,           (default 16)
 *       "comment":      "any text" | ["line", ...],
 *       "segments": [ {                  (1..16 of them)
 *         "name":            "kv",       (1..25 printable characters: no space, ':' or ',')
 *         "size":            "auto" | size,
 *         "kind":            "auto" | "offset" | "slab",        (default "auto")
 *         "mem_driver":      "memzone" | "anon" | a registered driver (default "memzone")
 *         "socket":          -1 | a NUMA socket of the EAL,      (default -1: any)
 *         "workers":         [lcore, ...],  (default: all of the service's workers)
 *         "max_alloc_size":  size,       (choice guide for "auto" kind; 0 = not known)
 *         "need_exact_free": false | true,  (choice guide)
 *         "need_align":      size,       (choice guide: a power of two; 0 = none)
 *         "slab_size":       size,       (slab kind: a power of two, 4K..1G; 0 = 4M)
 *         "max_nodes":       N,          (offset kind: node pool limit; 0 = the default)
 *         "rdma_device":     "none" | "auto" | a device name ("mlx5_0"),  (default "none")
 *         "rdma_port":       1..255,     (the devices' port; default 1)
 *         "endpoint":        "host:port" | "",  (for descriptors; "" = the device's GID)
 *         "comment":         "any text" | ["line", ...]
 *       } ]
 *     }
 *
 * What "auto" means; it needs the EAL to be initialised, since it asks it:
 * - "workers": "auto" is every enabled lcore but the main one, in the EAL's order, less the
 *   last mk_service_json_opts::spare_lcores of them (left for the caller's client lcores),
 *   and less one for the control lcore when that leaves two workers or more; at most
 *   MK_WORKERS_MAX. A number N is the first N of those lcores. A list names them.
 * - "control": "auto" is the first lcore that is neither the main one, a worker nor a spare
 *   one, when there are two workers or more (one shard needs no routing); none otherwise.
 *   "routing" applies only when there is a control lcore.
 * - "idle": "auto" is "yield" when two enabled lcores may run on the same CPU (more lcores
 *   than CPUs, e.g. --lcores '(0-4)@(0-1)': a spinning lcore would starve its neighbour),
 *   else "pause". "spin" busy-polls, "pause" adds rte_pause(), "yield" sched_yield().
 * - "size": "auto" is the largest power of two, at most MK_SERVICE_JSON_AUTO_SIZE, that the
 *   segment's memory driver can reserve now (1 GiB when hugepages allow it). Under --no-huge
 *   the memzone driver takes at most half of the EAL's memory (-m), leaving the rest to the
 *   heap that the rings and other memzones come from: 256 MiB with -m 512.
 *
 * Reading a configuration reserves every segment's memory once, in order and all together,
 * then gives it back: that is how "auto" sizes are found and how a size that the machine
 * cannot give is reported here, naming the segment, rather than later by mk_service_create().
 * Every error message starts with the path of the key it is about, e.g.
 *   segments[0].size: "12Q" is not a size (bytes, or a number with K, M, G, T or P: "512M")
 */

#include <stddef.h>
#include <stdint.h>

#include "mk_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size suffixes, in order: K = 2^10, M = 2^20, ... P = 2^50 (either case when read). */
#define MK_SERVICE_JSON_SIZE_UNITS	"KMGTP"
/** The largest integer read or written as a JSON number: every one up to it is a double. */
#define MK_SERVICE_JSON_EXACT_MAX	((UINT64_C(1) << 53) - 1)
/** The largest size "auto" picks for a segment: 1 GiB. */
#define MK_SERVICE_JSON_AUTO_SIZE	(UINT64_C(1) << 30)
/** The longest JSON text read, in bytes. */
#define MK_SERVICE_JSON_MAX		(1u << 20)

/**
 * Read a size as the config writes it: digits, then at most one suffix of
 * MK_SERVICE_JSON_SIZE_UNITS in either case ("4096", "512M", "1g").
 *
 * @param s
 *   The text.
 * @param out
 *   Receives the bytes.
 * @return
 *   True; false for anything else, or a size above 2^64 - 1.
 */
bool mk_service_size_parse(const char *s, uint64_t *out);

/** What the caller decides about the "auto" values that depend on the process. */
struct mk_service_json_opts {
	/**
	 * Enabled lcores (not the main one) that "workers": "auto" leaves to the caller, e.g.
	 * for its client lcores: the last ones in the EAL's order. 0 = none.
	 */
	unsigned int spare_lcores;
};

/**
 * Read a configuration: parse the JSON, check every key, resolve "auto", check the result
 * with mk_service_conf_check(), and reserve and release every segment's memory once. Call
 * after rte_eal_init(), before mk_service_create().
 *
 * @param text
 *   The JSON text; need not be NUL-terminated.
 * @param len
 *   Its length in bytes, at most MK_SERVICE_JSON_MAX.
 * @param opts
 *   How "auto" is resolved; NULL for the defaults (no spare lcore).
 * @param conf
 *   Filled in on success (on failure its content is unspecified).
 * @param err
 *   Receives a one-line reason that starts with the key's path; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL for text that is not JSON, an unknown, repeated or missing key, a value of
 *   the wrong type or out of its range, more workers than lcores, or a conf that
 *   mk_service_conf_check() refuses; -ENOMEM when a segment's memory cannot be reserved
 *   (or no "auto" size fits); -ENODEV when the EAL is not initialised.
 */
int mk_service_conf_from_json(const char *text, size_t len, const struct mk_service_json_opts *opts,
	struct mk_service_conf *conf, char *err, size_t errlen);

/**
 * Read a configuration from a file, as mk_service_conf_from_json() does.
 *
 * @param path
 *   The file.
 * @param opts
 *   How "auto" is resolved; may be NULL.
 * @param conf
 *   Filled in on success.
 * @param err
 *   Receives a one-line reason (the file's path, then the key's path); may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; a negative errno of reading the file (-ENOENT, -EACCES, -EFBIG above
 *   MK_SERVICE_JSON_MAX bytes); or what mk_service_conf_from_json() returns.
 */
int mk_service_conf_load(const char *path, const struct mk_service_json_opts *opts,
	struct mk_service_conf *conf, char *err, size_t errlen);

/**
 * Write a configuration as JSON, with every key and nothing left "auto" (lcores listed,
 * sizes exact), so that reading it back gives the same configuration.
 *
 * @param conf
 *   The configuration.
 * @param buf
 *   Where the text goes, NUL-terminated.
 * @param cap
 *   Bytes at @p buf.
 * @param err
 *   Receives a one-line reason; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   The length of the text without its NUL; -EINVAL for NULL arguments or a field that
 *   has no JSON form (an unknown kind); -EMSGSIZE when @p cap is too small; -ENOMEM.
 */
int mk_service_conf_to_json(const struct mk_service_conf *conf, char *buf, size_t cap,
	char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* MK_SERVICE_JSON_H */
