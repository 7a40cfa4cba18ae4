/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TRANSPORT_H
#define MK_TRANSPORT_H

/**
 * @file
 * Transport drivers: how remote peers reach a segment's bytes.
 *
 * A segment asks for RDMA by naming a device ("mlx5_0"), or "auto" for every device the
 * host has, or nothing ("" or "none") for the local transport only. mk_transport_register()
 * then registers the segment's range with each matching RDMA device (rdma-core's
 * libibverbs: ibv_open_device, ibv_alloc_pd, ibv_reg_mr with local write, remote read and
 * remote write access) and keeps the device context, protection domain and memory region
 * until mk_transport_deregister(), which releases them in the reverse order.
 *
 * A descriptor carries one rkey: the first registered device's (dev[0], in the order of
 * ibv_get_device_list()). Every device's keys stay in the registration, for telemetry and
 * for a peer that is told which device to use. The descriptor's endpoint is the configured
 * "host:port" of the transfer endpoint when there is one, else "[GID]:port" of the first
 * device (its GID at index 0 and the port the segment uses), else "".
 *
 * What happens when RDMA cannot be had:
 * - "auto" with no device (ibv_get_device_list() finds none, or the kernel has no RDMA
 *   support): state MK_TRANSPORT_UNAVAILABLE, return 0, a reason to log; the local
 *   transport serves and descriptors carry rkey 0.
 * - a device named that is not there: -ENODEV, "RDMA device 'mlx5_0' not found (devices
 *   here: none)".
 * - a verbs call that fails on a device that is there (e.g. ibv_reg_mr above the memlock
 *   limit), for "auto" as for a name: its negative errno and a reason naming the device and
 *   the call; whatever was opened is closed again, and the state is MK_TRANSPORT_FAILED.
 *   A silent fall-back would hand out rkey-0 descriptors on a host whose operator expects
 *   remote access.
 *
 * The functions here are not thread-safe: a service calls them from its main lcore while it
 * creates and destroys its segments.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest device name or request ("auto", "none", "mlx5_0"), with its NUL. */
#define MK_TRANSPORT_NAME_SIZE		64
/** Devices one segment is registered with at most; "auto" takes the first ones found. */
#define MK_TRANSPORT_DEVICES_MAX	8
/** Room for a GID as IPv6 text, with its NUL (INET6_ADDRSTRLEN). */
#define MK_TRANSPORT_GID_SIZE		46
/** Room for an endpoint, with its NUL (a descriptor's endpoint is at most 255 bytes). */
#define MK_TRANSPORT_ENDPOINT_SIZE	256
/** Room for a reason (unavailable, failed), with its NUL. */
#define MK_TRANSPORT_REASON_SIZE	128
/** The device port used when none is configured. */
#define MK_TRANSPORT_PORT_DEFAULT	1

/** Where a segment's registration stands. */
enum mk_transport_state {
	MK_TRANSPORT_NONE = 0,		/**< no RDMA asked for: local transport */
	MK_TRANSPORT_REGISTERED,	/**< registered with every matching device */
	MK_TRANSPORT_UNAVAILABLE,	/**< "auto" found no device: local transport */
	MK_TRANSPORT_FAILED,		/**< registration failed; nothing is held */
};

/** One device a segment is registered with. */
struct mk_transport_dev {
	char name[MK_TRANSPORT_NAME_SIZE];	/**< e.g. "mlx5_0" */
	uint8_t port;				/**< its port the endpoint names */
	bool port_active;			/**< the port was up at registration */
	char gid[MK_TRANSPORT_GID_SIZE];	/**< GID index 0 of that port, as IPv6 text */
	uint32_t lkey;				/**< the memory region's local key */
	uint32_t rkey;				/**< ... and remote key */
	void *context;				/**< struct ibv_context *, held */
	void *pd;				/**< struct ibv_pd *, held */
	void *mr;				/**< struct ibv_mr *, held */
};

/** A segment's registration: filled in by mk_transport_register(). */
struct mk_transport_reg {
	enum mk_transport_state state;
	void *addr;				/**< the range registered */
	uint64_t len;
	unsigned int nb_devices;		/**< devices in @p dev */
	struct mk_transport_dev dev[MK_TRANSPORT_DEVICES_MAX];
	uint32_t rkey;				/**< for descriptors: dev[0].rkey, or 0 */
	char endpoint[MK_TRANSPORT_ENDPOINT_SIZE]; /**< for descriptors: "host:port" or "" */
	char reason[MK_TRANSPORT_REASON_SIZE];	/**< why UNAVAILABLE or FAILED; else "" */
	const void *verbs;			/**< the verbs that registered it (private) */
};

/**
 * Check what a segment asks for, before anything is opened.
 *
 * @param want
 *   NULL, "" or "none" (local), "auto", or a device name: 1..63 of letters, digits, '_',
 *   '-' and '.'.
 * @param port
 *   The devices' port: 1..255, or 0 for MK_TRANSPORT_PORT_DEFAULT.
 * @param err
 *   Receives a one-line reason on failure; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EINVAL.
 */
int mk_transport_check(const char *want, unsigned int port, char *err, size_t errlen);

/**
 * The RDMA devices of this host, as libibverbs lists them.
 *
 * @param names
 *   Receives up to @p max device names; may be NULL when @p max is 0.
 * @param max
 *   Room in @p names.
 * @param err
 *   Receives a one-line reason on failure; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   The number of devices (may exceed @p max; 0 also when the kernel has no RDMA support),
 *   or a negative errno of ibv_get_device_list().
 */
int mk_transport_devices(char (*names)[MK_TRANSPORT_NAME_SIZE], unsigned int max, char *err,
	size_t errlen);

/**
 * Register a segment's range for remote access as @p want asks (see the file comment).
 *
 * @param want
 *   As for mk_transport_check().
 * @param port
 *   As for mk_transport_check().
 * @param endpoint
 *   The configured "host:port" of the transfer endpoint (checked by the caller), or NULL
 *   or "" to let the registration name one.
 * @param addr
 *   First byte of the range.
 * @param len
 *   Its length, at least 1.
 * @param out
 *   Filled in, on failure too (state MK_TRANSPORT_FAILED, nothing held).
 * @param err
 *   Receives a one-line reason on failure; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0 (registered, none asked for, or "auto" with no device: see out->state); -EINVAL for
 *   bad arguments; -ENODEV for a device named that is not there; or the negative errno of
 *   the verbs call that failed.
 */
int mk_transport_register(const char *want, unsigned int port, const char *endpoint,
	void *addr, uint64_t len, struct mk_transport_reg *out, char *err, size_t errlen);

/**
 * Give back what a registration holds, the last device first and on each the memory
 * region, then the protection domain, then the context. Every step is tried even when one
 * fails. A zeroed or already deregistered registration is left alone.
 *
 * @param r
 *   The registration; reset to MK_TRANSPORT_NONE afterwards (its endpoint is kept).
 * @return
 *   0, or the negative errno of the first verbs call that failed.
 */
int mk_transport_deregister(struct mk_transport_reg *r);

/**
 * @param r
 *   A registration.
 * @return
 *   The transport peers use: "rdma" when registered, else "local".
 */
const char *mk_transport_driver_name(const struct mk_transport_reg *r);

/**
 * @param state
 *   A state.
 * @return
 *   "none", "registered", "unavailable", "failed" or "unknown".
 */
const char *mk_transport_state_name(enum mk_transport_state state);

#ifdef __cplusplus
}
#endif

#endif /* MK_TRANSPORT_H */
