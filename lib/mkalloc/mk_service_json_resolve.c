/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resolving a configuration read from JSON against this process: "auto" workers, control
 * lcore and idle mode from the EAL's lcores, "auto" sizes from what the memory drivers can
 * reserve now; then the whole conf is checked, and every segment reserved once, all together,
 * so that a size the machine cannot give is reported naming its segment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sysinfo.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include "mk_err.h"
#include "mk_mem.h"
#include "mk_service_json_pvt.h"

/* Whether two enabled lcores may run on one CPU: then a spinning one starves the other. */
static bool
lcores_share_cpus(void)
{
	unsigned int a, b;

	RTE_LCORE_FOREACH(a) {
		rte_cpuset_t ca = rte_lcore_cpuset(a);

		RTE_LCORE_FOREACH(b) {
			rte_cpuset_t cb = rte_lcore_cpuset(b), both;

			if (b <= a)
				continue;
			CPU_AND(&both, &ca, &cb);
			if (CPU_COUNT(&both) > 0)
				return true;
		}
	}
	return false;
}

/*
 * The control lcore: "auto" takes the first lcore that is neither the main one, a worker nor
 * one of the caller's spare ones, when there are two workers or more to route between.
 */
static int
resolve_control(struct mk_service_conf *conf, const struct mk_json_pending *p, unsigned int spare,
	char *err, size_t errlen)
{
	unsigned int l = conf->control_lcore, i = 0;

	conf->control = false;
	if (p->control == CONTROL_LCORE) {
		if (!rte_lcore_is_enabled(l))
			return mk_errf(err, errlen, -EINVAL, "control: lcore %u is not enabled in"
				" the EAL (see -l/--lcores)", l);
		if (l == rte_get_main_lcore() || mk_service_conf_is_worker(conf, l))
			return mk_errf(err, errlen, -EINVAL, "control: lcore %u is %s", l,
				l == rte_get_main_lcore() ? "the main lcore" : "a worker");
		conf->control = true;
	} else if (p->control == CONTROL_AUTO && conf->nb_workers >= 2) {
		RTE_LCORE_FOREACH_WORKER(l) {
			if (i++ >= mk_json_other_lcores() - spare)
				break;
			if (!mk_service_conf_is_worker(conf, l)) {
				conf->control = true;
				conf->control_lcore = l;
				break;
			}
		}
	}
	if (!conf->control)
		conf->control_lcore = 0;
	conf->routing = conf->control && p->routing;
	return 0;
}

static int
resolve_lcores(struct mk_service_conf *conf, const struct mk_json_pending *p,
	const struct mk_service_json_opts *opts, char *err, size_t errlen)
{
	unsigned int l, n = mk_json_other_lcores(), spare = opts != NULL ? opts->spare_lcores : 0;
	unsigned int want;

	if (p->workers != WORKERS_LIST) {
		if (n == 0)
			return mk_errf(err, errlen, -EINVAL, "workers: the EAL has no lcore besides"
				" the main one (see -l/--lcores)");
		if (p->workers == WORKERS_AUTO && spare >= n)
			return mk_errf(err, errlen, -EINVAL, "workers: \"auto\" leaves none: the"
				" EAL has %u lcores besides the main one and %u are kept for"
				" clients", n, spare);
		want = p->workers == WORKERS_COUNT ? p->workers_count : n - spare;
		/* three lcores or more: one is the control lcore's (auto), the rest workers */
		if (p->workers == WORKERS_AUTO && p->control == CONTROL_AUTO && want >= 3)
			want--;
		conf->nb_workers = 0;
		RTE_LCORE_FOREACH_WORKER(l) {
			if (conf->nb_workers == want || conf->nb_workers == MK_WORKERS_MAX)
				break;
			conf->worker_lcores[conf->nb_workers++] = l;
		}
	}
	if (p->idle_auto) {
		conf->idle_yield = lcores_share_cpus();
		conf->idle_pause = !conf->idle_yield;
	}
	return resolve_control(conf, p, spare < n ? spare : n, err, errlen);
}

/* Where "auto" starts: the cap, or under --no-huge half of the EAL's memory for memzones. */
static uint64_t
auto_size_start(const struct mk_segment_conf *s)
{
	uint64_t half = rte_eal_get_physmem_size() / 2, start = MK_SERVICE_JSON_AUTO_SIZE;

	if (strcmp(s->mem_driver, "memzone") != 0 || rte_eal_has_hugepages())
		return start;
	while (start > half && start > 1)
		start >>= 1;
	return start;
}

/* Whether half of segment @p s's size is still a size the checks accept for its shards. */
static bool
halving_accepted(struct mk_service_conf *conf, struct mk_segment_conf *s)
{
	uint64_t size = s->size;
	bool ok;

	s->size = size >> 1;
	ok = s->size != 0 && mk_service_conf_check(conf, NULL, 0) == 0;
	s->size = size;
	return ok;
}

/* RAM and swap: no driver can back more (and the EAL would first malloc an array of every
 * page such a size needs, 4 GiB of it for a PiB of 2 MiB pages, before failing). */
static uint64_t
machine_memory(void)
{
	struct sysinfo si;

	if (sysinfo(&si) != 0)
		return UINT64_MAX;
	return ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
}

/*
 * Reserve every segment in order, holding each, then give all back: an "auto" size halves
 * from its start until the driver can reserve it or the checks would refuse the next half.
 */
static int
reserve_all(struct mk_service_conf *conf, const struct mk_json_pending *p, char *err, size_t errlen)
{
	struct mk_mem_region held[MK_SEGMENTS_MAX];
	char why[256] = "";
	unsigned int i;
	int rc = 0;

	memset(held, 0, sizeof(held));
	for (i = 0; rc == 0 && i < conf->nb_segments; i++) {
		struct mk_segment_conf *s = &conf->segments[i];
		uint64_t start = s->size;

		for (;;) {
			if (s->size > machine_memory())
				rc = mk_errf(why, sizeof(why), -ENOMEM, "more than this machine's"
					" %" PRIu64 " bytes of RAM and swap", machine_memory());
			else
				rc = mk_mem_reserve(s->mem_driver, s->name, s->size, s->socket,
					&held[i], why, sizeof(why));
			if (rc != -ENOMEM || !p->size_auto[i] || !halving_accepted(conf, s))
				break;
			s->size >>= 1;
		}
		if (rc != 0 && p->size_auto[i])
			rc = mk_errf(err, errlen, rc, "segments[%u].size: \"auto\": no size from %"
				PRIu64 " down to %" PRIu64 " bytes can be reserved: %s", i, start,
				s->size, why);
		else if (rc != 0)
			rc = mk_errf(err, errlen, rc, "segments[%u].size: %" PRIu64 " bytes cannot"
				" be reserved: %s", i, s->size, why);
	}
	for (i = 0; i < conf->nb_segments; i++)
		mk_mem_release(&held[i]);
	return rc;
}

int
mk_json_resolve(struct mk_service_conf *conf, const struct mk_json_pending *p,
	const struct mk_service_json_opts *opts, char *err, size_t errlen)
{
	unsigned int i;
	int rc = resolve_lcores(conf, p, opts, err, errlen);

	if (rc != 0)
		return rc;
	/* a placeholder that the checks accept until the memory says how much there is */
	for (i = 0; i < conf->nb_segments; i++)
		if (p->size_auto[i])
			conf->segments[i].size = auto_size_start(&conf->segments[i]);
	rc = mk_service_conf_check(conf, err, errlen);
	return rc != 0 ? rc : reserve_all(conf, p, err, errlen);
}
