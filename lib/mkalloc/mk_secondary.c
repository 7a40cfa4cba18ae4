/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clients in DPDK secondary processes.
 *
 * The primary publishes its service in a memzone (MK_SERVICE_MEMZONE) and answers two
 * multi-process IPC actions: "mk_attach" gives a secondary a client slot of a segment (its
 * completion ring, and a random token that every request of the slot must carry), and
 * "mk_detach" hands the slot back. The service's structures live in DPDK memory that the EAL
 * maps at the same addresses in every process, so the secondary's client works on the same
 * rings as a client of the primary; the segment's memory (memzone driver) is mapped too. The
 * shard allocators live in the primary's own heap and only its workers touch them.
 *
 * The control lcore watches each secondary's process (a pidfd): when it exits or detaches,
 * its slot's token is withdrawn (requests still on their way are dropped), every worker
 * releases (or keeps, as orphans) the buffers it owns, and the slot is reset for the next
 * client.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>
#include <rte_random.h>

#include "mk_control_pvt.h"
#include "mk_err.h"
#include "mk_secondary.h"

#define MK_SERVICE_MEMZONE	"mkalloc_service"
#define MP_ATTACH		"mk_attach"
#define MP_DETACH		"mk_detach"
/* Version of the messages and of the published record: both processes run the same
 * library, and say so. */
#define MK_MP_VERSION		1
#define MP_TIMEOUT_S		5
/* How often the control lcore looks at the secondaries' processes. */
#define WATCH_PERIOD_MS		10

/* What the memzone holds. */
struct mk_published {
	uint64_t magic;
	uint32_t version;
	int32_t pid;
	struct mk_service *svc;
};

struct mp_attach_req {
	uint32_t version;
	int32_t pid;
	char segment[MK_SEGMENT_NAME_SIZE];
};

struct mp_detach_req {
	uint32_t version;
	uint16_t slot;
	uint64_t token;
};

struct mp_reply {
	int32_t rc;
	uint16_t slot;
	uint64_t token;
	char err[160];
};

_Static_assert(sizeof(struct mp_reply) <= RTE_MP_MAX_PARAM_LEN, "a reply fits a message");
_Static_assert(sizeof(struct mp_attach_req) <= RTE_MP_MAX_PARAM_LEN, "a request fits");

/* The IPC actions run on the EAL's IPC thread: the service they serve, under this lock. */
static pthread_mutex_t mp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk_service *mp_service;

/* --- the primary ------------------------------------------------------------------------- */

static int
pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* A token: random, never 0, low bit set (the workers' mark of a remote client). */
uint64_t
mk_token_new(bool remote)
{
	uint64_t t;

	do {
		t = rte_rand();
	} while ((t >> 1) == 0);
	return remote ? t | 1 : t & ~UINT64_C(1);
}

static int
attach(struct mk_service *svc, const struct mp_attach_req *rq, struct mp_reply *out)
{
	char name[MK_SEGMENT_NAME_SIZE];
	struct mk_client_slot *slot;
	int seg, i;

	memcpy(name, rq->segment, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	if (rq->version != MK_MP_VERSION)
		return mk_errf(out->err, sizeof(out->err), -EPROTO, "mkalloc %u asked, this"
			" primary speaks %u", rq->version, MK_MP_VERSION);
	if (atomic_load(&svc->state) != MK_SVC_RUNNING)
		return mk_errf(out->err, sizeof(out->err), -ESHUTDOWN, "the service is not"
			" running");
	seg = mk_service_segment_find(svc, name);
	if (seg < 0)
		return mk_errf(out->err, sizeof(out->err), -ENOENT, "no segment '%s'", name);
	if (strcmp(svc->segments[seg].conf.mem_driver, "memzone") != 0)
		return mk_errf(out->err, sizeof(out->err), -ENOTSUP, "segment '%s' uses the %s"
			" memory driver, which other processes cannot map (use memzone)", name,
			svc->segments[seg].conf.mem_driver);
	if (!svc->conf.control || svc->control == NULL)
		return mk_errf(out->err, sizeof(out->err), -ENOTSUP, "the primary runs no control"
			" lcore, which watches secondary processes");
	if (rq->pid <= 0 || kill(rq->pid, 0) != 0)
		return mk_errf(out->err, sizeof(out->err), -EINVAL, "process %d is not there",
			rq->pid);
	i = mk_slot_take(svc, MK_SLOT_REMOTE);
	if (i < 0)
		return mk_errf(out->err, sizeof(out->err), -ENOSPC, "all %u client slots are"
			" open", svc->conf.max_clients);
	slot = &svc->clients[i];
	slot->pid = rq->pid;
	slot->pidfd = pidfd_of(rq->pid);
	__atomic_store_n(&slot->segment, (unsigned int)seg, __ATOMIC_RELEASE);
	out->slot = (uint16_t)i;
	out->token = mk_token_new(true);
	atomic_store(&svc->token[i], out->token);
	RTE_LOG(INFO, USER1, "mkalloc: client %d: process %d attached to segment '%s'\n", i,
		rq->pid, name);
	return 0;
}

static int
detach(struct mk_service *svc, const struct mp_detach_req *rq, struct mp_reply *out)
{
	int expected = MK_SLOT_REMOTE;

	if (rq->version != MK_MP_VERSION || rq->slot >= MK_CLIENTS_MAX || rq->token == 0 ||
	    atomic_load(&svc->token[rq->slot]) != rq->token)
		return mk_errf(out->err, sizeof(out->err), -EINVAL, "no such client");
	/* the control lcore reaps it: what it still owns is released or kept */
	if (!atomic_compare_exchange_strong(&svc->clients[rq->slot].state, &expected,
			MK_SLOT_GONE))
		return mk_errf(out->err, sizeof(out->err), -EINVAL, "client %u is not attached",
			rq->slot);
	return 0;
}

/* Both actions: check the message, serve it under the lock, reply. */
static int
mp_action(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg reply;
	struct mp_reply *out = (struct mp_reply *)reply.param;
	bool is_attach = strcmp(msg->name, MP_ATTACH) == 0;
	size_t want = is_attach ? sizeof(struct mp_attach_req) : sizeof(struct mp_detach_req);

	memset(&reply, 0, sizeof(reply));
	snprintf(reply.name, sizeof(reply.name), "%s", msg->name);
	reply.len_param = sizeof(*out);
	pthread_mutex_lock(&mp_lock);
	if ((size_t)msg->len_param != want || msg->num_fds != 0)
		out->rc = mk_errf(out->err, sizeof(out->err), -EINVAL, "malformed %s message",
			msg->name);
	else if (mp_service == NULL)
		out->rc = mk_errf(out->err, sizeof(out->err), -ENOENT, "no mkalloc service");
	else if (is_attach)
		out->rc = attach(mp_service, (const struct mp_attach_req *)msg->param, out);
	else
		out->rc = detach(mp_service, (const struct mp_detach_req *)msg->param, out);
	pthread_mutex_unlock(&mp_lock);
	return rte_mp_reply(&reply, peer);
}

int
mk_secondary_publish(struct mk_service *svc, char *err, size_t errlen)
{
	const struct rte_memzone *mz;
	struct mk_published *pub;
	int rc;

	svc->magic = MK_SERVICE_MAGIC;
	svc->primary_pid = getpid();
	mz = rte_memzone_reserve(MK_SERVICE_MEMZONE, sizeof(*pub), SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return mk_errf(err, errlen, -rte_errno, "memzone %s: %s", MK_SERVICE_MEMZONE,
			rte_strerror(rte_errno));
	pub = mz->addr;
	*pub = (struct mk_published){
		.magic = MK_SERVICE_MAGIC, .version = MK_MP_VERSION, .pid = getpid(), .svc = svc,
	};
	pthread_mutex_lock(&mp_lock);
	mp_service = svc;
	pthread_mutex_unlock(&mp_lock);
	/* under --no-shconf there is no IPC: no secondary either, and no error */
	rc = rte_mp_action_register(MP_ATTACH, mp_action);
	if (rc == 0)
		rc = rte_mp_action_register(MP_DETACH, mp_action);
	if (rc != 0 && rte_errno != ENOTSUP)
		RTE_LOG(WARNING, USER1, "mkalloc: no secondary clients: IPC action: %s\n",
			rte_strerror(rte_errno));
	return 0;
}

void
mk_secondary_unpublish(struct mk_service *svc)
{
	const struct rte_memzone *mz = rte_memzone_lookup(MK_SERVICE_MEMZONE);

	rte_mp_action_unregister(MP_ATTACH);
	rte_mp_action_unregister(MP_DETACH);
	pthread_mutex_lock(&mp_lock);
	if (mp_service == svc)
		mp_service = NULL;
	pthread_mutex_unlock(&mp_lock);
	if (mz != NULL) {
		((struct mk_published *)mz->addr)->magic = 0;
		rte_memzone_free(mz);
	}
	svc->magic = 0;
}

/* --- the primary's control lcore: watching and reaping ------------------------------------ */

/* Whether the process of a remote slot is gone. */
static bool
process_gone(const struct mk_client_slot *slot)
{
	struct pollfd p = { .fd = slot->pidfd, .events = POLLIN };

	if (slot->pidfd >= 0)
		return poll(&p, 1, 0) == 1;
	return kill(slot->pid, 0) != 0 && errno == ESRCH;
}

/* Withdraw the token, then ask every worker to release what the slot owns. */
static void
reap_start(struct mk_control *ctl, unsigned int i)
{
	struct mk_service *svc = ctl->svc;
	struct mk_req rq = {
		.op = MK_REQ_RELEASE, .client = (uint16_t)i, .arg = svc->clients[i].gen,
		.flags = svc->conf.secondary_keep ? MK_REQ_F_KEEP : 0,
	};
	unsigned int w;

	atomic_store(&svc->token[i], 0);
	ctl->reap.slot = (int)i;
	ctl->reap.pending = svc->nb_workers;
	ctl->reap.buffers = 0;
	ctl->reap.bytes = 0;
	atomic_fetch_add(&svc->ctl_busy, 1);
	for (w = 0; w < svc->nb_workers; w++)
		rte_ring_enqueue_elem(svc->workers[w].ctl, &rq, sizeof(rq));
}

void
mk_secondary_watch(struct mk_control *ctl)
{
	struct mk_service *svc = ctl->svc;
	uint64_t now = rte_get_timer_cycles();
	unsigned int i;

	if (now - ctl->reap.last_look < ctl->hz / 1000 * WATCH_PERIOD_MS)
		return;
	ctl->reap.last_look = now;
	for (i = 0; i < svc->conf.max_clients; i++) {
		struct mk_client_slot *slot = &svc->clients[i];
		int expected = MK_SLOT_REMOTE;

		if (atomic_load(&slot->state) == MK_SLOT_REMOTE && process_gone(slot) &&
		    atomic_compare_exchange_strong(&slot->state, &expected, MK_SLOT_GONE))
			RTE_LOG(NOTICE, USER1, "mkalloc: client %u: process %d exited without"
				" closing it\n", i, slot->pid);
	}
	for (i = 0; ctl->reap.slot < 0 && i < svc->conf.max_clients; i++)
		if (atomic_load(&svc->clients[i].state) == MK_SLOT_GONE)
			reap_start(ctl, i);
}

void
mk_secondary_released(struct mk_control *ctl, const struct mk_req *ans)
{
	struct mk_service *svc = ctl->svc;
	struct mk_client_slot *slot;
	unsigned int i = (unsigned int)ctl->reap.slot;

	if (ctl->reap.slot < 0 || ans->client != i)
		return;
	ctl->reap.buffers += ans->handle;
	ctl->reap.bytes += ans->size;
	if (--ctl->reap.pending != 0)
		return;
	slot = &svc->clients[i];
	if (ctl->reap.buffers != 0)
		RTE_LOG(NOTICE, USER1, "mkalloc: client %u (process %d): %s %" PRIu64 " buffers"
			" (%" PRIu64 " bytes) it still owned\n", i, slot->pid,
			svc->conf.secondary_keep ? "kept" : "released", ctl->reap.buffers,
			ctl->reap.bytes);
	else
		RTE_LOG(INFO, USER1, "mkalloc: client %u (process %d) detached\n", i, slot->pid);
	if (svc->conf.secondary_keep) {
		atomic_fetch_add(&svc->orphan_live, ctl->reap.buffers);
		atomic_fetch_add(&svc->orphan_bytes, ctl->reap.bytes);
	} else {
		atomic_fetch_add(&svc->released_live, ctl->reap.buffers);
		atomic_fetch_add(&svc->released_bytes, ctl->reap.bytes);
	}
	/* no worker answers the old token any more: the slot starts afresh */
	if (slot->pidfd >= 0)
		close(slot->pidfd);
	slot->pidfd = -1;
	slot->pid = 0;
	rte_ring_reset(slot->ring);
	atomic_store(&slot->submitted, atomic_load(&slot->answered));
	__atomic_store_n(&slot->segment, UINT_MAX, __ATOMIC_RELAXED);
	atomic_store(&slot->state, MK_SLOT_FREE);
	ctl->reap.slot = -1;
	atomic_fetch_sub(&svc->ctl_busy, 1);
}

/* --- a secondary ------------------------------------------------------------------------- */

struct mk_service *
mk_secondary_service(void)
{
	static struct mk_service *svc;
	const struct rte_memzone *mz;
	const struct mk_published *pub;

	if (svc != NULL && svc->magic == MK_SERVICE_MAGIC)
		return svc;
	mz = rte_memzone_lookup(MK_SERVICE_MEMZONE);
	if (mz == NULL) {
		RTE_LOG(ERR, USER1, "mkalloc: no mkalloc service in the primary process of this"
			" file prefix (it must run, on hugepages, without --in-memory)\n");
		rte_errno = ENOENT;
		return NULL;
	}
	pub = mz->addr;
	if (pub->magic != MK_SERVICE_MAGIC || pub->version != MK_MP_VERSION ||
	    pub->svc == NULL || pub->svc->magic != MK_SERVICE_MAGIC) {
		RTE_LOG(ERR, USER1, "mkalloc: the primary's service is gone or of another"
			" version\n");
		rte_errno = ENOENT;
		return NULL;
	}
	svc = pub->svc;
	return svc;
}

static int
mp_request(const char *name, const void *param, size_t len, struct mp_reply *out)
{
	const struct timespec ts = { .tv_sec = MP_TIMEOUT_S };
	struct rte_mp_msg msg;
	struct rte_mp_reply reply;
	int rc;

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", name);
	memcpy(msg.param, param, len);
	msg.len_param = (int)len;
	memset(out, 0, sizeof(*out));
	if (rte_mp_request_sync(&msg, &reply, &ts) != 0 || reply.nb_received != 1) {
		rc = mk_errf(out->err, sizeof(out->err), -EIO, "no answer from the primary to %s"
			" (%s)", name, rte_strerror(rte_errno));
		if (reply.nb_received > 0)
			free(reply.msgs);
		return rc;
	}
	if ((size_t)reply.msgs[0].len_param == sizeof(*out))
		memcpy(out, reply.msgs[0].param, sizeof(*out));
	else
		out->rc = mk_errf(out->err, sizeof(out->err), -EPROTO, "a malformed answer to %s",
			name);
	out->err[sizeof(out->err) - 1] = '\0';
	free(reply.msgs);
	return out->rc;
}

int
mk_secondary_attach(const char *segment, uint16_t *slot, uint64_t *token)
{
	struct mp_attach_req rq = { .version = MK_MP_VERSION, .pid = getpid() };
	struct mp_reply out;
	int rc;

	snprintf(rq.segment, sizeof(rq.segment), "%s", segment);
	rc = mp_request(MP_ATTACH, &rq, sizeof(rq), &out);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "mkalloc: cannot open a client on '%s': %s\n", segment,
			out.err);
		return rc;
	}
	*slot = out.slot;
	*token = out.token;
	return 0;
}

void
mk_secondary_detach(uint16_t slot, uint64_t token)
{
	struct mp_detach_req rq = { .version = MK_MP_VERSION, .slot = slot, .token = token };
	struct mp_reply out;

	if (mp_request(MP_DETACH, &rq, sizeof(rq), &out) != 0)
		RTE_LOG(WARNING, USER1, "mkalloc: client %u: %s (the primary reaps it when this"
			" process exits)\n", slot, out.err);
}
