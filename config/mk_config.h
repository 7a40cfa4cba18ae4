/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Build-time defaults of mkalloc, the way DPDK keeps its defaults in rte_config.h.
 *
 * Every number a library would otherwise hard-code lives here, with the reason for its value.
 * A run-time configuration (struct fields, the JSON config) overrides these where it can.
 */
#ifndef MK_CONFIG_H
#define MK_CONFIG_H

/* --- lib/offset ------------------------------------------------------------------------- */

/** Initial node pool: size / this, clamped to [MK_OFFSET_INIT_NODES_MIN, ..._MAX] (the seed's). */
#define MK_OFFSET_INIT_NODES_DIV	4096
#define MK_OFFSET_INIT_NODES_MIN	(1u << 10)
#define MK_OFFSET_INIT_NODES_MAX	(64u << 10)
/** Node pool growth limit: size / this, clamped to [..._MIN, ..._MAX] (the seed's). */
#define MK_OFFSET_MAX_NODES_DIV		1024
#define MK_OFFSET_MAX_NODES_MIN		(1u << 20)
#define MK_OFFSET_MAX_NODES_MAX		(64u << 20)
/**
 * Bins per power of two of lib/offset, as a log2: 4 (16 bins, sizes within 1/16 in a bin),
 * 5 (32) or 6 (64). Finer bins make the smallest larger bin's head a tighter fit: 5 measured
 * fill/refill U2 0.9836 -> 0.9847 and Mooncake random +0.0003, but ~2 ns more per
 * churn pair (bigger bin arrays); 6 cost ~15% in churn.
 */
#ifndef MK_OFFSET_SL_LOG2
#define MK_OFFSET_SL_LOG2		4
#endif
/**
 * Free regions of the request's own bin looked at before a larger bin is taken. The own bin
 * holds the tightest fits but also regions that are too small; a short look keeps alloc O(1).
 */
#ifndef MK_OFFSET_BIN_SCAN
#define MK_OFFSET_BIN_SCAN		8
#endif
/**
 * When the search looks harder: once used bytes reach capacity - capacity >> this (and
 * request sizes are spread, see MK_OFFSET_ROOMY_DIVERSE), an unaligned request takes the
 * smallest region that holds it among the first MK_OFFSET_BIN_SCAN of its own bin (else of
 * the smallest larger bin) instead of a bin's head. That is exact best fit in nearly every
 * case: fill/refill U2 0.9836 -> 0.9851, Mooncake random 0.8680 -> 0.8685, DSA unchanged.
 * The placement rules below apply from the same point, and requests are recorded for them
 * only from then. 1: from half full, so churn (a third full) keeps the O(1) head probe that
 * costs no loop; the scan costs up to 16 node loads.
 */
#ifndef MK_OFFSET_TIGHT_SHIFT
#define MK_OFFSET_TIGHT_SHIFT		1
#endif
/**
 * Where an unaligned allocation goes in a larger region once space is tight (as for
 * MK_OFFSET_TIGHT_SHIFT). 1: at the end next to the region's smaller neighbour, so the
 * remainder sits next to the bigger one and merges into a bigger hole when that one is freed
 * (Mooncake random utilisation 0.8685 -> 0.8720; DSA and uniform unchanged). 0: at the
 * start. While space is plentiful it is always the start: the two neighbour loads cost churn
 * (a third full) 2-4 ns per pair.
 */
#ifndef MK_OFFSET_PLACE_BY_NEIGHBOUR
#define MK_OFFSET_PLACE_BY_NEIGHBOUR	1
#endif
/**
 * Where an unaligned allocation goes, once space is tight, in a region at an end of the range
 * or a roomy one (see MK_OFFSET_ROOMY): 1: by size, requests of at least half the largest seen
 * at the high end, smaller ones at the low end, so large ones lie together and frees leave
 * holes they fit (fill/refill U2 +0.0005 over the neighbour rule there). 0: as
 * MK_OFFSET_PLACE_BY_NEIGHBOUR says.
 */
#ifndef MK_OFFSET_PLACE_BY_SIZE
#define MK_OFFSET_PLACE_BY_SIZE		1
#endif
/**
 * Roomy placement, once space is tight and request sizes are spread: when the best fit would
 * leave a remainder of at least the largest request >> MK_OFFSET_ROOMY_REM_SHIFT, and at least
 * MK_OFFSET_ROOMY_COUNT free regions hold the request plus a recent-maximum one, the smallest
 * of those takes it instead (its remainder stays big enough to use). Found by simulating
 * fill/refill (U2 0.9851 -> 0.990, also on seeds never tuned on) and checked on Mooncake's
 * random (no loss), DSA (sizes not spread: off) and uniform (at the bound). 0: best fit.
 */
#ifndef MK_OFFSET_ROOMY
#define MK_OFFSET_ROOMY			1
#endif
#define MK_OFFSET_ROOMY_REM_SHIFT	5
#define MK_OFFSET_ROOMY_COUNT		10
/** Regions the roomy search looks at, at most (then it keeps the best fit). */
#define MK_OFFSET_ROOMY_SCAN		64
/** Sizes are spread when this many bins of 1/8 of a power of two hold over 1 % each. */
#define MK_OFFSET_ROOMY_DIVERSE		8
/** How many requests a look at whether sizes are spread holds for. */
#define MK_OFFSET_SPREAD_REUSE		16
/** The recent maximum request decays by 1/2^this per request. */
#define MK_OFFSET_RECENT_DECAY_SHIFT	4

/* --- lib/slab --------------------------------------------------------------------------- */

/** CacheLib's slab size, 4 MiB. */
#define MK_SLAB_SIZE			(1u << 22)
/** CacheLib's generateAllocSizes defaults: growth factor and smallest class. */
#define MK_SLAB_FACTOR			1.25
#define MK_SLAB_MIN_CLASS		72
/** Mooncake's kMinSliceSize: every request is padded to at least this. */
#define MK_SLAB_MIN_SLICE		64

/* --- lib/mkalloc ------------------------------------------------------------------------ */

/** Requests a worker takes from its ring at once. */
#define MK_SERVICE_BURST		32
/** Requests one client may have in flight: its completion ring's size. */
#define MK_SERVICE_CLIENT_DEPTH		256
/** Clients open at once; request rings hold max_clients x client_depth requests. */
#define MK_SERVICE_MAX_CLIENTS		16
/** How often the control lcore gathers the shards' figures into routing views, in us. */
#define MK_CONTROL_PERIOD_US		200
/** Longest an allocation waits for a rebalancing move before it fails, in us. */
#define MK_REBALANCE_WAIT_US		100000
/** Drift threshold: neighbours' free bytes apart by this % of a mean shard's capacity. */
#define MK_REBALANCE_DRIFT_PCT		50
/** A boundary shifted by drift is not shifted back by drift for this long, in ms. */
#define MK_REBALANCE_COOLDOWN_MS	1000
/** Buffers that secondaries' clients may own at once, per shard (their owner records). */
#define MK_SECONDARY_BUFFERS		65536
/** How long a blocking client call retries a submission that found no room, in ms. */
#define MK_CLIENT_RETRY_MS		1000

#endif /* MK_CONFIG_H */
