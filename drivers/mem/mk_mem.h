/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_MEM_H
#define MK_MEM_H

/**
 * @file
 * Memory drivers: where a segment's bytes come from.
 *
 * A driver reserves one virtually contiguous region for a segment and releases it at the
 * end. Two are built in: "memzone" (a DPDK memzone on hugepages, or on 4 KiB pages under
 * --no-huge; never asked to be IOVA-contiguous, so segments larger than one page work in PA
 * mode) and "anon" (anonymous shared memory: MAP_HUGETLB when the kernel has hugepages, else
 * 4 KiB pages advised towards transparent hugepages), for programs and tests that want a
 * segment outside the EAL's heap. A later driver (device memory, a file) registers itself
 * with mk_mem_driver_register() and is then found by name like these.
 *
 * The allocators never touch the region; drivers only map and unmap it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest driver or region name, with its NUL. */
#define MK_MEM_NAME_SIZE 32

/** A reserved region. */
struct mk_mem_region {
	char name[MK_MEM_NAME_SIZE];	/**< the segment's name */
	const struct mk_mem_driver *driver; /**< who reserved it */
	void *addr;			/**< first byte */
	uint64_t len;			/**< bytes, at least what was asked for */
	uint64_t page_size;		/**< bytes per page backing it */
	bool hugepages;			/**< backed by hugepages */
	uint64_t iova;			/**< IOVA of the first byte, UINT64_MAX if unknown */
	uint32_t iova_chunks;		/**< IOVA-contiguous runs it is made of, 0 if unknown */
	int socket;			/**< NUMA socket, -1 if any or unknown */
	void *priv;			/**< the driver's own */
};

/** A memory driver. */
struct mk_mem_driver {
	const char *name;
	/**
	 * Reserve @p size bytes on @p socket (-1: any) for the segment @p name.
	 * @return 0, or a negative errno with a one-line reason in @p err.
	 */
	int (*reserve)(const char *name, uint64_t size, int socket, struct mk_mem_region *out,
		char *err, size_t errlen);
	/** Give the region back. */
	void (*release)(struct mk_mem_region *region);
};

/**
 * Add a driver. The built-in ones are always there. Not thread-safe: call it before lcores
 * start.
 *
 * @param drv
 *   The driver; it must stay valid. Its name must be unique.
 * @return
 *   0; -EEXIST when a driver of that name exists; -ENOSPC when the table is full;
 *   -EINVAL for NULL or unnamed drivers.
 */
int mk_mem_driver_register(const struct mk_mem_driver *drv);

/**
 * Find a driver by name.
 *
 * @param name
 *   "memzone", "anon" or a registered driver's name.
 * @return
 *   The driver, or NULL.
 */
const struct mk_mem_driver *mk_mem_driver_find(const char *name);

/**
 * Reserve a region with the named driver.
 *
 * @param driver
 *   The driver's name.
 * @param name
 *   The segment's name (1 .. MK_MEM_NAME_SIZE - 1 characters).
 * @param size
 *   Bytes wanted, at least 1.
 * @param socket
 *   NUMA socket, or -1 for any.
 * @param out
 *   Filled in on success.
 * @param err
 *   Receives a one-line reason on failure; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0; -EINVAL for a bad name or size, -ENODEV for an unknown driver, or the driver's error
 *   (-ENOMEM when the memory cannot be had).
 */
int mk_mem_reserve(const char *driver, const char *name, uint64_t size, int socket,
	struct mk_mem_region *out, char *err, size_t errlen);

/**
 * Release a region reserved by mk_mem_reserve(). Releasing a zeroed region does nothing.
 *
 * @param region
 *   The region; zeroed afterwards.
 */
void mk_mem_release(struct mk_mem_region *region);

#ifdef __cplusplus
}
#endif

#endif /* MK_MEM_H */
