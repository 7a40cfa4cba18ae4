/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_CLIENT_H
#define MK_CLIENT_H

/**
 * @file
 * The client API of the mkalloc service: how an lcore takes buffers from a segment and
 * gives them back.
 *
 * A client is opened on a segment by name and is then used by one thread (an lcore) only;
 * open one per lcore. It has a completion ring of its own and may have up to the service's
 * client depth of requests in flight. Three ways to call, freely mixed:
 * - blocking: mk_client_alloc() and mk_client_free() submit one request and wait for its
 *   completion (completions of earlier asynchronous requests that arrive meanwhile are kept
 *   for mk_client_poll());
 * - burst: mk_client_alloc_burst() and mk_client_free_burst() submit many and wait for all;
 * - asynchronous: mk_client_submit_alloc() / mk_client_submit_free() return at once with a
 *   caller's tag (or -EAGAIN when the client already has its depth in flight: back-pressure,
 *   nothing is lost), and mk_client_poll() collects completions. Submitted requests are
 *   batched per worker and sent a burst at a time: when a batch is full, at every poll and
 *   blocking call, and at mk_client_flush(). A request that was submitted but not yet sent
 *   when the service stops is answered -ESHUTDOWN.
 * An allocation that no shard can serve as the shards stand, but that would fit after the
 * control lcore moves free capacity between neighbouring shards, waits for that move (up
 * to the service's rebalance_wait_us) unless it was made with MK_CLIENT_NOWAIT.
 * The same calls work in a DPDK secondary process of the primary that runs the service (on
 * hugepages, without --in-memory, with a control lcore): mk_client_open() then asks the
 * primary for a slot over rte_mp; such a client frees only the buffers it allocated
 * (-EPERM), and what it still holds when its process exits is released by the primary.
 * Buffers are lib/buffer's struct mk_buffer, with segment-global offsets; free them through
 * a client (any client of the segment, on any lcore), never with mk_buffer_free(), since
 * their allocator belongs to a worker lcore. Every request gets exactly one completion.
 */

#include <stdint.h>

#include "mk_allocator.h"
#include "mk_descriptor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a request asked for. */
enum mk_client_op {
	MK_CLIENT_ALLOC = 1,
	MK_CLIENT_FREE = 2,
};

/**
 * Allocation flag: fail at once with -ENOMEM rather than wait for capacity to move between
 * shards (mk_client_alloc_flags(), mk_client_submit_alloc_flags()).
 */
#define MK_CLIENT_NOWAIT	0x1u

/** One completion of an asynchronous request. */
struct mk_completion {
	uint64_t tag;		/**< the caller's tag */
	int status;		/**< 0 or a negative errno */
	enum mk_client_op op;	/**< what it was */
	struct mk_buffer buf;	/**< ALLOC: the buffer on success; FREE: the buffer freed */
};

struct mk_client;

/**
 * Open a client on a segment of this process's service. The calling thread is its owner.
 *
 * @param segment
 *   The segment's name.
 * @return
 *   The client, or NULL with rte_errno set: ENOENT (no such segment or no service),
 *   ENOSPC (max_clients open), ESHUTDOWN (service stopping), ENOMEM; in a secondary also
 *   ENOTSUP (an anon segment, or no control lcore in the primary) and EIO (no answer).
 */
struct mk_client *mk_client_open(const char *segment);

/**
 * Close a client. Requests still in flight are waited for; their completions are dropped
 * (the buffers of allocations among them stay allocated and show in the shutdown report).
 *
 * @param c
 *   The client; NULL does nothing.
 */
void mk_client_close(struct mk_client *c);

/**
 * Allocate a buffer and wait for it.
 *
 * @param c
 *   The client.
 * @param size
 *   Bytes, at least 1.
 * @param align
 *   0 or 1 for none, else a power of two (the slab kind serves up to 8).
 * @param out
 *   Filled in on success.
 * @return
 *   0; -EINVAL (bad size or alignment), -E2BIG (larger than the segment's kind serves),
 *   -ENOMEM (no shard can hold it, even after moving capacity between shards), -ENOSPC
 *   (node pools full), -EAGAIN (the client's depth stayed in flight past the retry bound),
 *   -ESHUTDOWN.
 */
int mk_client_alloc(struct mk_client *c, uint64_t size, uint64_t align, struct mk_buffer *out);

/**
 * mk_client_alloc() with flags.
 *
 * @param c
 *   The client.
 * @param size
 *   Bytes, at least 1.
 * @param align
 *   0 or 1 for none, else a power of two.
 * @param flags
 *   0 or MK_CLIENT_NOWAIT.
 * @param out
 *   Filled in on success.
 * @return
 *   As mk_client_alloc(); -EINVAL for an unknown flag.
 */
int mk_client_alloc_flags(struct mk_client *c, uint64_t size, uint64_t align,
	unsigned int flags, struct mk_buffer *out);

/**
 * Free a buffer and wait for the answer.
 *
 * @param c
 *   A client of the buffer's segment.
 * @param b
 *   The buffer; cleared on success.
 * @return
 *   0; -EINVAL (not a live buffer of this segment: double, stale, forged, foreign),
 *   -EPERM (a client of a secondary process: not a buffer it allocated), -EAGAIN,
 *   -ESHUTDOWN.
 */
int mk_client_free(struct mk_client *c, struct mk_buffer *b);

/**
 * Allocate @p n buffers and wait for all of them.
 *
 * @param c
 *   The client.
 * @param sizes
 *   @p n sizes.
 * @param align
 *   Alignment of all.
 * @param out
 *   @p n buffers, filled in where the status is 0.
 * @param status
 *   @p n statuses, as mk_client_alloc() returns them.
 * @param n
 *   Count; any number (sent in pieces of the client's depth).
 * @return
 *   The number of buffers allocated.
 */
unsigned int mk_client_alloc_burst(struct mk_client *c, const uint64_t *sizes, uint64_t align,
	struct mk_buffer *out, int *status, unsigned int n);

/**
 * Free @p n buffers and wait for all of them.
 *
 * @param c
 *   The client.
 * @param bufs
 *   @p n buffers; each cleared when freed.
 * @param status
 *   @p n statuses, as mk_client_free() returns them; may be NULL.
 * @param n
 *   Count.
 * @return
 *   The number of buffers freed.
 */
unsigned int mk_client_free_burst(struct mk_client *c, struct mk_buffer *bufs, int *status,
	unsigned int n);

/**
 * Submit an allocation; its completion comes from mk_client_poll().
 *
 * @param c
 *   The client.
 * @param size
 *   Bytes.
 * @param align
 *   Alignment.
 * @param tag
 *   Anything; given back in the completion.
 * @return
 *   0; -EAGAIN when the client's depth is in flight (poll, then try again); -EINVAL for a
 *   size of 0 or a bad alignment; -E2BIG for a size the segment never serves; -ESHUTDOWN.
 */
int mk_client_submit_alloc(struct mk_client *c, uint64_t size, uint64_t align, uint64_t tag);

/**
 * mk_client_submit_alloc() with flags.
 *
 * @param c
 *   The client.
 * @param size
 *   Bytes.
 * @param align
 *   Alignment.
 * @param tag
 *   Anything; given back in the completion.
 * @param flags
 *   0 or MK_CLIENT_NOWAIT.
 * @return
 *   As mk_client_submit_alloc(); -EINVAL for an unknown flag.
 */
int mk_client_submit_alloc_flags(struct mk_client *c, uint64_t size, uint64_t align,
	uint64_t tag, unsigned int flags);

/**
 * Submit a free; its completion comes from mk_client_poll().
 *
 * @param c
 *   The client.
 * @param b
 *   The buffer (copied; it is not cleared).
 * @param tag
 *   Anything; given back in the completion.
 * @return
 *   0; -EAGAIN; -EINVAL for a buffer whose offset is outside the segment; -ESHUTDOWN.
 */
int mk_client_submit_free(struct mk_client *c, const struct mk_buffer *b, uint64_t tag);

/**
 * Send every batched request now (mk_client_poll() does it too).
 *
 * @param c
 *   The client.
 */
void mk_client_flush(struct mk_client *c);

/**
 * Collect completions of submitted requests; sends batched requests first.
 *
 * @param c
 *   The client.
 * @param out
 *   Receives up to @p max completions.
 * @param max
 *   Room in @p out.
 * @return
 *   The number of completions written.
 */
unsigned int mk_client_poll(struct mk_client *c, struct mk_completion *out, unsigned int max);

/**
 * Requests submitted and not yet collected.
 *
 * @param c
 *   The client.
 * @return
 *   Requests in flight.
 */
unsigned int mk_client_inflight(const struct mk_client *c);

/**
 * The descriptor of a buffer of the client's segment: what a remote peer needs.
 *
 * @param c
 *   The client.
 * @param b
 *   The buffer.
 * @param out
 *   Filled in.
 * @return
 *   0, or -EINVAL when @p b is not within the segment.
 */
int mk_client_descriptor(const struct mk_client *c, const struct mk_buffer *b,
	struct mk_desc *out);

#ifdef __cplusplus
}
#endif

#endif /* MK_CLIENT_H */
