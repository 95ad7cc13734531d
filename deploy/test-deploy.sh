#!/bin/bash
# SPDX-License-Identifier: MIT
# Proves the container image's runtime stage is complete, without Docker:
#   1. debootstrap a bookworm minbase root filesystem (cached),
#   2. install EXACTLY the runtime packages named in deploy/Dockerfile,
#   3. copy build/agentrace in,
#   4. run it chrooted, with the mounts and capabilities that
#      deploy/kubernetes/daemonset.yaml gives the pod, and trace a real
#      HTTPS OpenAI call made on the host: the span must carry the mock
#      server's true gen_ai.usage.input_tokens, and /readyz must answer 200.
# Every mount lives in a private mount namespace (unshare), so nothing can
# leak onto the host; the EXIT trap still checks and unmounts.
# Ends with "test-deploy: PASS" or "test-deploy: FAIL: why" (exit 1).
#
# Environment: AGENTRACE_DEPLOY_CACHE (default /var/cache/agentrace-deploy),
# AGENTRACE_DEPLOY_HEALTH=0 skips the /readyz check (for binaries built
# before the health endpoint existed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$PWD
CACHE=${AGENTRACE_DEPLOY_CACHE:-/var/cache/agentrace-deploy}
BASE=$CACHE/base          # pristine minbase + apt lists, never modified after creation
ROOTFS=$CACHE/rootfs      # this run's copy: minbase + the Dockerfile's packages
ARCHIVES=$CACHE/archives  # downloaded .debs, so warm runs fetch nothing
LISTS=$CACHE/lists        # apt lists, refreshed when older than a day
BIN=$ROOT_DIR/build/agentrace
HEALTH=${AGENTRACE_DEPLOY_HEALTH:-1}
T0=$(date +%s)
WORK=$(mktemp -d /tmp/agentrace-deploy.XXXXXX)
PIDS=()

say() { printf 'test-deploy: [%3ds] %s\n' $(($(date +%s) - T0)) "$*"; }
fail() {
	echo "test-deploy: FAIL: $*"
	for f in agentrace.err mock.err; do
		[ -s "$WORK/$f" ] && { echo "--- $f (tail)"; tail -n 30 "$WORK/$f"; }
	done
	exit 1
}

cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	# The namespaces die with their processes; this only catches a mount
	# that somehow reached the host's namespace.
	awk -v c="$CACHE/" 'index($5, c) == 1 {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap, chroot, BPF)"
[ -x "$BIN" ] || fail "$BIN missing: run make first"

# ---- the runtime package list, from the Dockerfile's runtime stage ----------
# The words after "apt-get install" on the runtime stage's install line, less
# options, up to the next shell operator.
PKGS=$(awk '
	/^FROM /            { runtime = ($0 ~ / AS runtime/) }
	runtime && /apt-get install/ {
		sub(/.*apt-get install/, "")
		for (i = 1; i <= NF; i++) {
			if ($i == "&&" || $i == ";" || $i == "\\") break
			if ($i !~ /^-/) printf "%s ", $i
		}
	}' deploy/Dockerfile)
PKGS=${PKGS% }
[ -n "$PKGS" ] || fail "found no runtime packages in deploy/Dockerfile"
say "runtime packages: $PKGS"

# ---- the Debian mirror apt uses on this machine -----------------------------
# Lines "deb URI SUITE COMPONENTS..." from sources.list files and deb822
# stanzas from *.sources, keeping bookworm suites only.
apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && awk '$1 == "deb" && $3 ~ /^bookworm/ {
			$1 = ""; sub(/^ +/, ""); sub(/\[[^]]*\] */, ""); print "deb " $0 }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && awk '
			function flush(  n, s, i) {
				if (enabled && uris != "" && types ~ /(^| )deb( |$)/) {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++)
						if (s[i] ~ /^bookworm/) print "deb " uris " " s[i] " " comps
				}
				types = uris = suites = comps = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			{ key = tolower($1); sub(/^[^:]*:[ \t]*/, "") }
			key == "types:" { types = $0 } key == "uris:" { uris = $1 }
			key == "suites:" { suites = $0 } key == "components:" { comps = $0 }
			key == "enabled:" { enabled = ($0 !~ /^no/) }
			END { flush() }' "$f"
	done
}
SOURCES=$(apt_sources)
MIRROR=$(echo "$SOURCES" | awk '$3 == "bookworm" {print $2; exit}')
[ -n "$MIRROR" ] || fail "no bookworm mirror in /etc/apt/sources.list*"

# ---- 1. the cached minbase root filesystem ----------------------------------
mkdir -p "$CACHE" "$ARCHIVES/partial" "$LISTS/partial"
if [ ! -f "$BASE/.agentrace-base-ok" ]; then
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	say "debootstrap bookworm minbase from $MIRROR (cold cache)"
	rm -rf "$BASE"
	debootstrap --variant=minbase --cache-dir="$ARCHIVES" bookworm "$BASE" "$MIRROR" \
		>"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
	echo "$SOURCES" >"$BASE/etc/apt/sources.list"
	rm -rf "$BASE"/var/lib/apt/lists/* "$BASE"/var/cache/apt/archives/*.deb
	touch "$BASE/.agentrace-base-ok"
	rm -f "$LISTS/.updated"
fi

# ---- 2. a fresh copy with exactly the Dockerfile's packages -----------------
say "fresh root filesystem from the cached minbase"
rm -rf "$ROOTFS"
cp -a "$BASE" "$ROOTFS"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"

# Runs a shell snippet chrooted into $ROOTFS for apt, in a private mount
# namespace with /proc, /dev and the shared apt caches mounted.
apt_chroot() {
	# shellcheck disable=SC2016
	unshare --mount --propagation private bash -euc '
		r=$1; shift
		mount -t proc proc "$r/proc"
		mount --bind /dev "$r/dev"
		mount --bind "$ARCHIVES" "$r/var/cache/apt/archives"
		mount --bind "$LISTS" "$r/var/lib/apt/lists"
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive bash -euc "$*"' _ "$ROOTFS" "$@"
}
export ARCHIVES LISTS
if [ -z "$(find "$LISTS/.updated" -mmin -1440 2>/dev/null)" ]; then
	say "apt-get update"
	apt_chroot "apt-get update -qq" >"$WORK/apt.log" 2>&1 ||
		{ tail -20 "$WORK/apt.log"; fail "apt-get update in the root filesystem"; }
	touch "$LISTS/.updated"
fi
say "apt-get install $PKGS"
# unsafe-io: no fsync per file in a throw-away root (Debian's images do the same).
APT_OPTS="-y -qq --no-install-recommends -o Dpkg::Options::=--force-unsafe-io"
# shellcheck disable=SC2086
if ! apt_chroot "apt-get install $APT_OPTS $PKGS" >"$WORK/apt.log" 2>&1; then
	# Stale lists name versions the mirror no longer has: refresh once.
	apt_chroot "apt-get update -qq && apt-get install $APT_OPTS $PKGS" \
		>"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; fail "apt-get install $PKGS"; }
	touch "$LISTS/.updated"
fi
rm -f "$ROOTFS/etc/resolv.conf"

# ---- 3. the binary ----------------------------------------------------------
install -m 0755 "$BIN" "$ROOTFS/usr/local/bin/agentrace"
missing=$(chroot "$ROOTFS" /usr/bin/ldd /usr/local/bin/agentrace 2>&1 | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries missing from the runtime packages: $missing"
say "every shared library resolves inside the root filesystem"

# ---- 4. the pod, approximated -----------------------------------------------
# The capabilities come from the DaemonSet itself: the "add: [...]" list.
CAPS=$(sed -n 's/^[[:space:]]*add:[[:space:]]*\[\(.*\)\].*/\1/p' deploy/kubernetes/daemonset.yaml | head -1 |
	tr -d ' ' | tr '[:upper:]' '[:lower:]')
[ -n "$CAPS" ] || fail "no capabilities add: [...] list in deploy/kubernetes/daemonset.yaml"
SETPRIV_CAPS="-all,+${CAPS//,/,+}"
# shellcheck disable=SC2016
WANT_CAPEFF=$(setpriv --bounding-set "$SETPRIV_CAPS" -- awk '/^CapBnd/ {print $2}' /proc/self/status)
# Other tracers on this machine (the e2e tests) would see our processes and
# we theirs: take the e2e lock for the live part.
exec 9>/tmp/agentrace-e2e.lock
say "waiting for the e2e lock"
T_LOCK=$SECONDS
flock 9
LOCK_WAIT=$((SECONDS - T_LOCK))
# The mock provider and its client run on the host, as an agent's would. The
# mock starts before agentrace, so its libssl (the same file curl maps) is
# found by agentrace's startup /proc scan.
CERTS=$WORK/certs
sh tests/e2e/gen_cert.sh "$CERTS" >/dev/null
python3 tests/e2e/mock_llm_server.py --port 0 --ready-file "$WORK/mock.ready" \
	--truth "$WORK/truth.jsonl" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
	>"$WORK/mock.out" 2>"$WORK/mock.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/mock.ready" ] && break; sleep 0.1; done
[ -s "$WORK/mock.ready" ] || fail "mock server did not start"
MOCK_PORT=$(awk '{print $1; exit}' "$WORK/mock.ready")
HEALTH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The pod's view (deploy/kubernetes/daemonset.yaml): read-only root
# filesystem; emptyDir /tmp; hostPath /var/cache/agentrace; procfs of the host PID namespace (hostPID);
# read-only sysfs with hostPath tracefs, BTF and cgroup mounts on top; a
# minimal /dev; only the DaemonSet's capabilities, and no_new_privs
# (allowPrivilegeEscalation: false).
mkdir -p "$WORK/pod-tmp" "$WORK/pod-tls-cache" "$ROOTFS/var/cache/agentrace"
chmod 1777 "$WORK/pod-tmp"
# The binary's default is agent-first. curl to an IP literal sends no SNI
# and its request is inside TLS, so nothing marks it as an agent: it is
# named (comm: [curl] in the ConfigMap's terms). Beside --promote its
# scoped probes would race curl's first write (docs/performance.md, first
# calls); named alone, the shared libssl probes are in place before it runs.
AR_ARGS=(--exporter file --output /tmp/spans.jsonl --ready-file /tmp/agentrace.ready
	--stats-interval 0 --comm curl)
[ "$HEALTH" = 0 ] || AR_ARGS+=(--health-addr "127.0.0.1:$HEALTH_PORT")
say "starting agentrace chrooted, with the DaemonSet's mounts and capabilities"
# shellcheck disable=SC2016
unshare --mount --propagation private bash -euc '
	r=$1 podtmp=$2 caps=$3 podcache=$4; shift 4
	mount --bind "$r" "$r"
	mount -o remount,bind,ro "$r"
	mount --bind "$podtmp" "$r/tmp"
	mount --bind "$podcache" "$r/var/cache/agentrace"
	mount -t proc proc "$r/proc"
	mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
	mount --bind /sys/kernel/tracing "$r/sys/kernel/tracing"
	mount --bind /sys/kernel/btf "$r/sys/kernel/btf"
	mount -o remount,bind,ro "$r/sys/kernel/btf"
	mount --bind /sys/fs/cgroup "$r/sys/fs/cgroup"
	mount -o remount,bind,ro "$r/sys/fs/cgroup"
	mount -t tmpfs -o nosuid,mode=755,size=64k tmpfs "$r/dev"
	mknod -m 666 "$r/dev/null" c 1 3; mknod -m 666 "$r/dev/zero" c 1 5
	mknod -m 666 "$r/dev/full" c 1 7; mknod -m 666 "$r/dev/random" c 1 8
	mknod -m 666 "$r/dev/urandom" c 1 9
	mount -o remount,ro "$r/dev"
	exec chroot "$r" /usr/bin/setpriv --no-new-privs \
		--bounding-set "$caps" --inh-caps -all \
		-- /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin NODE_NAME=test-deploy-node \
		OTEL_SERVICE_NAME=agentrace /usr/local/bin/agentrace "$@"' \
	_ "$ROOTFS" "$WORK/pod-tmp" "$SETPRIV_CAPS" "$WORK/pod-tls-cache" "${AR_ARGS[@]}" >"$WORK/agentrace.out" 2>"$WORK/agentrace.err" &
AR_PID=$!
PIDS+=("$AR_PID")
end=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	[ -e "$WORK/pod-tmp/agentrace.ready" ] && break
	kill -0 $AR_PID 2>/dev/null || fail "agentrace exited before it was ready"
	sleep 0.1
done
[ -e "$WORK/pod-tmp/agentrace.ready" ] || fail "agentrace not ready after 60 s"
caps=$(awk '/^CapEff/ {print $2}' /proc/$AR_PID/status)
[ "$caps" = "$WANT_CAPEFF" ] || fail "agentrace runs with CapEff $caps, not the DaemonSet's $WANT_CAPEFF ($CAPS)"
say "agentrace ready, CapEff $caps: exactly $CAPS"

if [ "$HEALTH" != 0 ]; then
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HEALTH_PORT/readyz" || true)
	[ "$code" = 200 ] || fail "readiness endpoint /readyz answered '$code', want 200"
	say "/readyz answers 200"
fi

SECRET=sk-deploy-SECRET-0123456789
curl -sS --max-time 20 --cacert "$CERTS/ca.pem" -H "Authorization: Bearer $SECRET" \
	-H 'Content-Type: application/json' \
	-d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello from test-deploy."}]}' \
	"https://127.0.0.1:$MOCK_PORT/v1/chat/completions" >"$WORK/curl.out" ||
	fail "curl to the mock server failed"
say "curl made an OpenAI chat completion over TLS on the host"

# Waits (bounded) for the span, then compares it with the server's truth.
check_span() {
	python3 - "$WORK/truth.jsonl" "$WORK/pod-tmp/spans.jsonl" <<'PY'
import json, sys
truth = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
chat = [t for t in truth if t.get("operation") == "chat"]
if len(chat) != 1:
    sys.exit("want one chat call in the truth log, have %d" % len(chat))
t = chat[0]
def val(v):
    for k in ("intValue", "stringValue", "doubleValue", "boolValue"):
        if k in v:
            return v[k]
    if "arrayValue" in v:
        return [val(x) for x in v["arrayValue"].get("values", [])]
    return None
try:
    lines = open(sys.argv[2]).read().splitlines()
except FileNotFoundError:
    lines = []
# The client's span: curl's side of the call (the mock server's own side
# may be traced too, as a server span).
for line in lines:
    if not line.strip():
        continue
    for rs in json.loads(line).get("resourceSpans", []):
        res = {kv["key"]: val(kv["value"]) for kv in rs.get("resource", {}).get("attributes", [])}
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                a = dict(res)
                a.update({kv["key"]: val(kv["value"]) for kv in s.get("attributes", [])})
                if a.get("gen_ai.response.id") != t["response_id"] or s.get("kind") != 3 or \
                        a.get("process.executable.name") != "curl":
                    continue
                it = a.get("gen_ai.usage.input_tokens")
                if it is None or int(it) != t["input_tokens"]:
                    sys.exit("span input_tokens %r != truth %r" % (it, t["input_tokens"]))
                ot = a.get("gen_ai.usage.output_tokens")
                if ot is None or int(ot) != t["output_tokens"]:
                    sys.exit("span output_tokens %r != truth %r" % (ot, t["output_tokens"]))
                print("client span %r from curl: input_tokens=%s output_tokens=%s" % (
                    s.get("name"), it, ot))
                sys.exit(0)
sys.exit(3)
PY
}
rc=3
end=$((SECONDS + 15))
while [ $SECONDS -lt $end ]; do
	rc=0; check_span >"$WORK/check.out" 2>&1 || rc=$?
	[ $rc = 3 ] || break
	sleep 0.2
done
if [ $rc = 3 ]; then
	fail "no client span from curl for the call within 15 s"
elif [ $rc != 0 ]; then
	fail "$(cat "$WORK/check.out")"
fi
say "$(cat "$WORK/check.out")"
if grep -q "$SECRET" "$WORK/pod-tmp/spans.jsonl" "$WORK/agentrace.out" "$WORK/agentrace.err"; then
	fail "the Authorization secret reached the spans or the log"
fi

kill -INT $AR_PID
ar_rc=0
for _ in $(seq 200); do kill -0 $AR_PID 2>/dev/null || break; sleep 0.1; done
wait $AR_PID || ar_rc=$?
[ $ar_rc = 0 ] || fail "agentrace exit status $ar_rc"
say "agentrace stopped cleanly"
echo "test-deploy: PASS ($(($(date +%s) - T0)) s, of which ${LOCK_WAIT} s waiting for the e2e lock)"
