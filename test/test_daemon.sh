#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_daemon.sh: the mkalloc daemon and the example program, run the way a user runs them.
#
#   test_daemon.sh daemon  PATH/TO/mkalloc
#   test_daemon.sh example PATH/TO/mkalloc-example
#
# daemon:  1. --demo on the built-in config (hugepages when 1.25 GiB of them are free, else
#             --no-huge) and six lcores (two workers, the control lcore, two clients), stopped
#             by SIGTERM: exit 0, the shutdown report says that nothing is left allocated, the
#             demo found no error;
#             On hugepages, mkalloc-client attaches to it as a secondary process, allocates,
#             frees and reads its figures; the daemon accounts for it;
#          2. two segments (offset on memzone, slab on anon) under --no-huge, --demo --leak 2,
#             stopped by SIGINT: exit 0 and the report names the 4 buffers kept;
#          3. no --demo, --duration 1: the daemon stops by itself, exit 0;
#          4. config and option validation: each bad case exits 2 with a message naming the
#             key (or option); a good config printed by --check-config reads back the same.
# example: two lcores on one CPU, --no-huge: exit 0, three descriptors printed.
# After every run: no process, hugepage file or runtime directory of its --file-prefix left.
# Waits are bounded and poll the output; no check depends on how fast anything runs.
# Prints PASS or FAIL per check and a summary line; exits 1 on any failure.
set -u -o pipefail
export LC_ALL=C

mode=${1:-}
bin=${2:-}
client=${3:-}
if [ -z "$mode" ] || [ ! -x "$bin" ]; then
	echo "usage: test_daemon.sh daemon|example PROGRAM" >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# show a file in a failure's context, indented
show() { sed 's/^/    | /' "$1" | tail -n "${2:-20}"; }

if [ "$(id -u)" = 0 ]; then rundir=/var/run/dpdk; else rundir=${XDG_RUNTIME_DIR:-/tmp}/dpdk; fi
cpus=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
cpu0=${cpus%%[-,]*}
hugedirs=$(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts)
free_huge_mb() {
	local f=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
	[ -r "$f" ] && [ -n "$hugedirs" ] && echo $(($(cat "$f") * 2)) || echo 0
}
serial=0
new_prefix() { serial=$((serial + 1)); prefix="mkd-$$-$serial"; }

# no process, hugepage file or runtime directory of $prefix may be left
check_leftovers() {
	local what=$1 left="" p d
	[ -e "$rundir/$prefix" ] && left="$left runtime directory $rundir/$prefix;"
	for d in $hugedirs; do
		for p in "$d/$prefix"*; do [ -e "$p" ] && left="$left hugepage file $p;"; done
	done
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "--file-prefix $prefix "; then
			left="$left process ${p#/proc/};"
		fi
	done
	if [ -z "$left" ]; then pass "$what: nothing left behind"; else fail "$what: left$left"; fi
}

# wait_for FILE REGEX PID SECONDS: until FILE has a line matching REGEX (0), PID is gone (1),
# or the time is up (2)
wait_for() {
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		grep -Eq -- "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || { grep -Eq -- "$2" "$1" && return 0; return 1; }
		sleep 0.1
	done
	return 2
}

# wait_exit PID SECONDS: the exit code, or 255 after SIGKILL when the time is up
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		wait "$1" 2>/dev/null
		return 255
	fi
	wait "$1"
}

# expect_in FILE REGEX WHAT
expect_in() {
	if grep -Eq -- "$2" "$1"; then
		pass "$3"
	else
		fail "$3: no line matches '$2'"; show "$1"
	fi
}

# run_daemon NAME SIGNAL EAL-ARGS... -- DAEMON-ARGS...: start, wait for ready and one table
# (with --demo), signal, wait for the exit; the output is in $tmp/NAME.out and .err
run_daemon() {
	local name=$1 sig=$2 pid rc demo=0
	shift 2
	case " $* " in *" --demo "*) demo=1 ;; esac
	"$bin" --file-prefix "$prefix" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids+=("$pid")
	if wait_for "$tmp/$name.out" '^mkalloc: ready' "$pid" 120; then
		pass "$name: ready line"
	else
		fail "$name: no ready line"; show "$tmp/$name.err"
	fi
	if [ "$demo" = 1 ]; then
		if wait_for "$tmp/$name.out" '^ +[0-9]+ [a-z]+ +(all|[0-9]+) ' "$pid" 60; then
			pass "$name: statistics table"
		else
			fail "$name: no statistics table"; show "$tmp/$name.out"
		fi
	fi
	if declare -F "while_running_$name" >/dev/null; then
		"while_running_$name" "$pid"
	fi
	[ "$sig" != none ] && kill "-$sig" "$pid" 2>/dev/null
	wait_exit "$pid" 120
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "$name: exit code 0"
	else
		fail "$name: exit code $rc"; show "$tmp/$name.out"; show "$tmp/$name.err"
	fi
	check_leftovers "$name"
}

# expect_usage NAME NEEDLE EAL-ARGS... -- ARGS...: exit code 2, NEEDLE on stderr
expect_usage() {
	local name=$1 needle=$2 rc
	shift 2
	timeout 120 "$bin" --file-prefix "$prefix" "$@" >"$tmp/v.out" 2>"$tmp/v.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -Fq -- "$needle" "$tmp/v.err"; then
		pass "$name: exit 2, $(grep -F -- "$needle" "$tmp/v.err" | head -n 1)"
	else
		fail "$name: exit code $rc (2 expected), stderr should name '$needle'"
		show "$tmp/v.err" 5
	fi
	[ -e "$rundir/$prefix" ] && fail "$name: runtime directory $rundir/$prefix left"
}

# While the default daemon serves: every telemetry command through the stock client, JSON
# checked; 10^4 malformed parameters; the daemon still answers and serves; mkalloc-top --once.
while_running_default() {
	local pid=$1 out
	out=$(printf '%s\n' /mkalloc/segments /mkalloc/segment,kv /mkalloc/shards,kv \
		/mkalloc/shard,kv:0 /mkalloc/routing,kv /mkalloc/config /mkalloc/clients \
		/mkalloc/rebalance,kv /mkalloc/segment,nope | dpdk-telemetry.py -f "$prefix" 2>&1)
	if printf '%s\n' "$out" | python3 -c '
import json, sys
ans = [next(iter(json.loads(l).values())) for l in sys.stdin.read().splitlines()]
assert len(ans) == 9, len(ans)
assert ans[0] == ["kv"] and ans[1]["capacity"] > 0 and ans[1]["ops"]["allocs"] > 0
assert ans[2]["count"] == 2 and ans[4]["control"] == 1 and ans[5]["state"] == "running"
assert ans[7]["enabled"] == 1 and ans[7]["ledger_mismatch"] == 0
assert not any(isinstance(a, dict) and "error" in a for a in ans[:8]) and "error" in ans[8]
'; then
		pass "default: every /mkalloc/ command read through dpdk-telemetry.py"
	else
		fail "default: telemetry answers"; printf '%s\n' "$out" | head -n 12
	fi
	out=$(python3 -c '
import random
r = random.Random(7)
cmds = ["/mkalloc/segment", "/mkalloc/shards", "/mkalloc/shard", "/mkalloc/routing",
	"/mkalloc/segments", "/mkalloc/config", "/mkalloc/clients", "/mkalloc/rebalance"]
for i in range(10000):
	p = "".join(chr(r.randrange(33, 127)) for _ in range(r.randrange(0, 40)))
	print(r.choice(cmds) + "," + p)
print("/mkalloc/segment,kv")' | dpdk-telemetry.py -f "$prefix" 2>&1 | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
ans = [json.loads(l) for l in lines]
assert len(ans) == 10001, len(ans)
print(next(iter(ans[-1].values()))["ops"]["allocs"])')
	if [ -n "$out" ] && kill -0 "$pid" 2>/dev/null; then
		pass "default: 10^4 malformed parameters answered, still serving ($out allocations)"
	else
		fail "default: malformed parameters"
	fi
	secondary_client
	if "$top/usertools/mkalloc-top" --once -d 0.2 -f "$prefix" >"$tmp/top.out" 2>&1 &&
	    grep -q '^kv ' "$tmp/top.out"; then
		pass "default: mkalloc-top --once shows segment kv"
	else
		fail "default: mkalloc-top --once"; show "$tmp/top.out"
	fi
}

# mkalloc-client as a secondary of the running default daemon (hugepages only): its JSON
# lines, and the daemon's client table once it is gone
secondary_client() {
	local out
	if [ -z "$client" ] || [ "${#mem[@]}" != 0 ]; then
		echo "SKIP: default: mkalloc-client needs a daemon on hugepages (this one runs" \
			"--no-huge: not 1.25 GiB of hugepages free)"
		return
	fi
	out=$(timeout 60 "$client" -f "$prefix" -s kv alloc 4096 alloc 1M 4096 stat free 0 \
		2>"$tmp/client.err")
	if printf '%s\n' "$out" | python3 -c '
import json, sys
ans = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert [a["op"] for a in ans] == ["alloc", "alloc", "stat", "free"], ans
assert all(a["status"] == 0 for a in ans)
assert ans[1]["descriptor"]["mk_segment_name"] == "kv"
assert int(ans[1]["descriptor"]["mk_offset"], 16) % 4096 == 0
assert sum(s["live_buffers"] for s in ans[2]["shards"]) >= 2
'; then
		pass "default: mkalloc-client allocates, reads the figures and frees as a secondary"
	else
		fail "default: mkalloc-client"; printf '%s\n' "$out"; show "$tmp/client.err"
	fi
	# the control lcore reaps the slot after the process is gone: a bounded wait for it
	for _ in $(seq 100); do
		out=$(echo /mkalloc/clients | dpdk-telemetry.py -f "$prefix" 2>&1)
		printf '%s\n' "$out" | grep -q '"process": "\(secondary\|gone\)"' || break
		sleep 0.1
	done
	if printf '%s\n' "$out" | python3 -c '
import json, sys
c = next(iter(json.loads(sys.stdin.read()).values()))
assert c["dropped"] == 0 and c["orphan_buffers"] == 0, c
assert all(s["process"] == "primary" for s in c["slots"].values()), c
'; then
		pass "default: the secondary's slot is given back, nothing dropped or orphaned"
	else
		fail "default: client table after the secondary"; printf '%s\n' "$out" | head -5
	fi
}

test_daemon() {
	local lcores="(0-4)@($cpus)" seg='{"name": "a", "size": "16M"}' c
	local -a mem
	local -a v=(--lcores "$lcores" --no-pci --no-huge -m 64)

	# 1. the built-in config under the README's conditions, SIGTERM
	if [ "$(free_huge_mb)" -ge 1280 ]; then mem=(); else mem=(--no-huge -m 512); fi
	new_prefix
	run_daemon default TERM --lcores "(0-5)@($cpus)" --no-pci "${mem[@]}" -- --demo
	expect_in "$tmp/default.out" '^mkalloc: ready: 1 segment, 2 workers .*, control lcore 3 ' \
		"default: two workers and a control lcore"
	expect_in "$tmp/default.out" '^mkalloc: shutdown report' "default: shutdown report"
	expect_in "$tmp/default.out" \
		"^mkalloc: segment 'kv': [0-9]+ allocations, [0-9]+ frees, 0 buffers" \
		"default: nothing left allocated"
	expect_in "$tmp/default.out" \
		'^mkalloc: demo: 2 clients, [1-9][0-9]* requests \([0-9]+ found no space\), 0 err' \
		"default: the demo's clients found no error"

	# 2. two segments and buffers kept on purpose, SIGINT
	cat >"$tmp/two.json" <<-'EOF'
	{
		"workers": 2,
		"segments": [
			{ "name": "off", "size": "64M", "kind": "offset" },
			{ "name": "slab", "size": "64M", "kind": "slab", "mem_driver": "anon" }
		]
	}
	EOF
	new_prefix
	run_daemon leak INT --lcores "$lcores" --no-pci --no-huge -m 512 -- \
		--config "$tmp/two.json" --demo --leak 2
	for c in off slab; do
		expect_in "$tmp/leak.out" \
			"^mkalloc: segment '$c': 2 buffers \([0-9]+ bytes\) still allocated at" \
			"leak: the report names segment $c's 2 kept buffers"
	done
	expect_in "$tmp/leak.out" \
		'^mkalloc: stopped: 4 buffers were still allocated \(all kept by the demo' \
		"leak: the total equals what the clients kept"

	# 3. no demo, stops by itself
	new_prefix
	run_daemon duration none --lcores "(0-1)@($cpus)" --no-pci --no-huge -m 512 -- --duration 1
	expect_in "$tmp/duration.out" '^mkalloc: 1 s passed: stopping' "duration: stopped by itself"

	# 4. validation: one bad thing each
	bad() {  # bad NAME NEEDLE JSON
		printf '%s\n' "$3" >"$tmp/bad.json"
		new_prefix
		expect_usage "config $1" "$2" "${v[@]}" -- --config "$tmp/bad.json" --check-config
	}
	bad "unknown key" 'segments[0].colour: unknown key' \
		'{"segments": [{"name": "a", "size": "16M", "colour": "red"}]}'
	bad "unknown top key" 'segmentz: unknown key' "{\"segmentz\": [$seg]}"
	bad "key twice" 'burst: given twice' "{\"burst\": 8, \"burst\": 16, \"segments\": [$seg]}"
	bad "missing segments" 'segments: missing' '{"workers": "auto"}'
	bad "wrong type" 'burst: a number expected, not a string' \
		"{\"burst\": \"32\", \"segments\": [$seg]}"
	bad "wrong type bool" 'segments[0].need_exact_free: true or false expected' \
		'{"segments": [{"name": "a", "size": "16M", "need_exact_free": 1}]}'
	bad "out of range" 'client_depth: 0 is not an integer in 1..65536' \
		"{\"client_depth\": 0, \"segments\": [$seg]}"
	bad "not a size" 'segments[0].size: "12Q" is not a size' \
		'{"segments": [{"name": "a", "size": "12Q"}]}'
	bad "zero size" 'segments[0].size: 0 bytes' '{"segments": [{"name": "a", "size": 0}]}'
	bad "size too small" 'segments[0].size 4096: at least' \
		'{"workers": 2, "segments": [{"name": "a", "size": "4K"}]}'
	bad "impossible size" 'segments[0].size: 1125899906842624 bytes cannot be reserved' \
		'{"segments": [{"name": "a", "size": "1P"}]}'
	bad "size above -m" 'segments[0].size: 134217728 bytes cannot be reserved: memzone' \
		'{"segments": [{"name": "a", "size": "128M"}]}'
	bad "slab alignment" 'segments[0].need_align: 64, the slab kind aligns to at most 8' \
		'{"segments": [{"name": "a", "size": "16M", "kind": "slab", "need_align": 64}]}'
	bad "unknown kind" 'segments[0].kind: "buddy" is not one of' \
		'{"segments": [{"name": "a", "size": "16M", "kind": "buddy"}]}'
	bad "unknown driver" 'segments[0].mem_driver: no driver "nvme"' \
		'{"segments": [{"name": "a", "size": "16M", "mem_driver": "nvme"}]}'
	bad "more workers than lcores" 'workers: 8 asked for, the EAL has 4 lcores' \
		"{\"workers\": 8, \"segments\": [$seg]}"
	bad "more listed workers than lcores" 'workers: 6 lcores listed, the EAL has 4' \
		"{\"workers\": [1, 2, 3, 4, 5, 6], \"segments\": [$seg]}"
	bad "lcore not enabled" 'workers: lcore 9 is not enabled' \
		"{\"workers\": [9], \"segments\": [$seg]}"
	bad "segment worker not a worker" 'segments[0].workers: lcore 4 is not a worker' \
		'{"workers": [1, 2], "segments": [{"name": "a", "size": "16M", "workers": [4]}]}'
	bad "control on a worker" 'control: lcore 1 is a worker' \
		"{\"workers\": [1, 2], \"control\": 1, \"segments\": [$seg]}"
	bad "bad JSON" 'config: not valid JSON at line 1' '{"segments": ['
	new_prefix
	expect_usage "missing config file" "$tmp/none.json: No such file" "${v[@]}" -- \
		--config "$tmp/none.json"
	new_prefix
	expect_usage "unknown option" "unknown option '--bogus'" "${v[@]}" -- --bogus
	new_prefix
	expect_usage "daemon option before --" "put it after '--'" "${v[@]}" --demo
	new_prefix
	expect_usage "--demo without a client lcore" "--demo: no lcore is left for clients" \
		--lcores "(0-1)@($cpus)" --no-pci --no-huge -m 64 -- --demo

	# an EAL that cannot start: exit 1, and its runtime directory is not left behind
	new_prefix
	timeout 120 "$bin" --file-prefix "$prefix" --no-pci --huge-dir /nonexistent/mkalloc -- \
		>"$tmp/eal.out" 2>"$tmp/eal.err"
	c=$?
	if [ "$c" = 1 ] && grep -q '^mkalloc: rte_eal_init failed' "$tmp/eal.err"; then
		pass "EAL failure: exit 1, $(grep '^mkalloc:' "$tmp/eal.err")"
	else
		fail "EAL failure: exit code $c (1 expected)"; show "$tmp/eal.err" 5
	fi
	check_leftovers "EAL failure"

	# a config as --check-config prints it reads back the same
	v=(--lcores "$lcores" --no-pci --no-huge -m 256)
	new_prefix
	"$bin" --file-prefix "$prefix" "${v[@]}" -- --config "$tmp/two.json" --check-config \
		>"$tmp/resolved.json" 2>"$tmp/check.err"
	new_prefix
	"$bin" --file-prefix "$prefix" "${v[@]}" -- --config "$tmp/resolved.json" --check-config \
		>"$tmp/again.json" 2>>"$tmp/check.err"
	if [ -s "$tmp/resolved.json" ] && cmp -s "$tmp/resolved.json" "$tmp/again.json"; then
		pass "check-config: the resolved config reads back the same"
	else
		fail "check-config: the resolved config does not read back the same"
		show "$tmp/resolved.json"; show "$tmp/check.err"
	fi
	check_leftovers "check-config"
}

test_example() {
	local rc
	prefix="mkex-$$"
	timeout 120 "$bin" --file-prefix "$prefix" --no-pci --no-huge -m 256 \
		--lcores "(0-1)@($cpu0)" >"$tmp/example.out" 2>"$tmp/example.err"
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "example: exit code 0"
	else
		fail "example: exit code $rc"; show "$tmp/example.err"
	fi
	if [ "$(grep -c '"mk_segment_name":"example"' "$tmp/example.out")" = 3 ]; then
		pass "example: three descriptors printed"
	else
		fail "example: three descriptors expected"; show "$tmp/example.out"
	fi
	check_leftovers "example"
}

case $mode in
daemon) test_daemon ;;
example) test_example ;;
*) echo "test_daemon.sh: no mode '$mode' (daemon or example)" >&2; exit 2 ;;
esac
echo "test_daemon.sh $mode: $passed passed, $failed failed"
[ "$failed" = 0 ]
