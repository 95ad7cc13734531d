#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end check of the export stage against tests/e2e/otlp_receiver.py,
# without BPF or root: builds tests/e2e/export_driver.c against user/export
# and runs it through protobuf, JSON+gzip, injected failures with
# Retry-After, a collector outage with a restart on the same port, a
# non-retryable 400, and the file exporter.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d /tmp/agentrace-otlp-e2e.XXXXXX)
RX_PID=
cleanup() {
	[ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p build/gen
protoc-c --proto_path=user/export/proto --c_out=build/gen user/export/proto/otlp_trace.proto
gcc $(make -s print-cflags) -o "$WORK/driver" tests/e2e/export_driver.c user/export/*.c \
	build/gen/otlp_trace.pb-c.c user/common/log.c user/trace/span.c $(make -s print-ldlibs)

fail() { echo "FAIL: $*" >&2; exit 1; }

# step TITLE: starts a check; set -e ends the script at the first failure,
# so the final line is reached only when all STEPS checks passed.
STEPS=0
step() { STEPS=$((STEPS + 1)); echo "otlp e2e: $*"; }

# start_rx NAME [receiver flags...]: starts a receiver, sets RX_PID and PORT.
start_rx() {
	local name=$1; shift
	mkdir -p "$WORK/$name"
	rm -f "$WORK/$name/port"
	python3 tests/e2e/otlp_receiver.py --out "$WORK/$name/spans.jsonl" \
		--raw-dir "$WORK/$name/raw" --requests "$WORK/$name/req.jsonl" \
		--ready-file "$WORK/$name/port" --port 0 "$@" >/dev/null 2>"$WORK/$name/rx.log" &
	RX_PID=$!
	for _ in $(seq 100); do [ -s "$WORK/$name/port" ] && break; sleep 0.05; done
	[ -s "$WORK/$name/port" ] || fail "receiver $name did not start"
	PORT=$(cat "$WORK/$name/port")
}
stop_rx() { kill "$RX_PID"; wait "$RX_PID" 2>/dev/null || true; RX_PID=; }

# check NAME N: the receiver got N distinct spans, each exactly once.
check() {
	python3 - "$WORK/$1/spans.jsonl" "$2" <<'PY'
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
want = int(sys.argv[2])
ids = [s["span_id"] for s in spans]
assert len(spans) == want, "got %d spans, want %d" % (len(spans), want)
assert len(set(ids)) == want, "duplicate spans"
for s in spans:
    assert len(s["trace_id"]) == 32 and len(s["span_id"]) == 16
    assert s["resource"]["service.name"] in ("agent-one", "agent-two")
    assert s["resource"]["process.pid"] in (1111, 2222)
    assert s["scope"]["name"] == "agentrace"
    a = s["attributes"]
    assert a["gen_ai.usage.output_tokens"] == 9007199254740993, a
    assert a["gen_ai.request.stream"] is True
    assert a["gen_ai.response.finish_reasons"] == ["stop"]
    assert s["end_time_unix_nano"] > s["start_time_unix_nano"] > 1.6e18
    assert s["events"][0]["attributes"]["gen_ai.tool.name"] == "search"
    i = a["driver.index"]
    assert (s["parent_span_id"] == "") == (i % 4 == 0)
    assert s["status"]["code"] == (2 if i % 7 == 3 else 0)
PY
}

step "http/protobuf"
start_rx pb
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PORT/" OTEL_BSP_MAX_EXPORT_BATCH_SIZE=16 \
	OTEL_RESOURCE_ATTRIBUTES="deployment.environment=e2e" "$WORK/driver" 50 5000 >/dev/null
stop_rx
check pb 50
grep -q '"deployment.environment": "e2e"' "$WORK/pb/spans.jsonl" || fail "resource attrs"
[ "$(wc -l < "$WORK/pb/req.jsonl")" -ge 4 ] || fail "batches of 16 expected"

step "http/json + gzip, 2 injected 503s with Retry-After, partial success"
start_rx json --fail-first 2 --retry-after 1 --partial-reject 1
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:$PORT/v1/traces" \
	OTEL_EXPORTER_OTLP_PROTOCOL=http/json OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
	OTEL_EXPORTER_OTLP_HEADERS="x-tenant=t%201" "$WORK/driver" 12 8000 >/dev/null
stop_rx
check json 12
python3 - "$WORK/json/req.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["status"] for x in r] == [503, 503, 200], r
assert all(x["content_encoding"] == "gzip" and x["content_type"] == "application/json" for x in r)
assert r[2]["headers"]["x-tenant"] == "t 1"
PY

step "collector down, restarted on the same port: nothing lost"
start_rx down
P=$PORT
stop_rx
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$P" OTEL_BSP_SCHEDULE_DELAY=100 \
	AGENTRACE_EXPORT_RETRY_INITIAL_MS=100 AGENTRACE_EXPORT_RETRY_MAX_MS=400 \
	"$WORK/driver" 30 15000 > "$WORK/down.out" 2>"$WORK/down.err" &
DRV=$!
sleep 2
start_rx down --port "$P"
wait "$DRV" || fail "driver lost spans: $(cat "$WORK/down.out")"
stop_rx
check down 30

step "400 is not retried"
start_rx bad --fail-first 1 --fail-status 400
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PORT" "$WORK/driver" 5 3000 >/dev/null 2>&1
stop_rx
[ "$(wc -l < "$WORK/bad/req.jsonl")" -eq 1 ] || fail "a 400 must not be retried"

step "file exporter"
DRIVER_FILE="$WORK/spans.otlp.jsonl" "$WORK/driver" 7 3000 >/dev/null 2>&1
python3 - "$WORK/spans.otlp.jsonl" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    for rs in json.loads(line)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            n += len(ss["spans"])
assert n == 7, n
PY
echo "otlp e2e: $STEPS passed, 0 failed"
