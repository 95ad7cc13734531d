#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A tiny OTLP/HTTP trace receiver for agentrace's end-to-end tests.

Python 3 standard library only. Listens on 127.0.0.1, accepts
POST /v1/traces as http/protobuf or http/json, optionally gzip-compressed,
and records (POST /v1/metrics likewise: --metrics FILE gets one JSON line
per data point):

  --raw-dir DIR   every request body as received (NNNNNN.bin / .json), plus
                  protoc's text decoding of protobuf bodies (NNNNNN.txt)
  --out FILE      one JSON line per span: ids as lowercase hex, times and
                  intValues as ints, attributes and resource as dicts
  --requests FILE one JSON line per request: headers, status answered,
                  span count, body encoding

Protobuf bodies are checked with the real `protoc --decode` against the
OFFICIAL opentelemetry-proto files kept in tests/e2e/opentelemetry-proto
(independent of agentrace's own .proto subset): a body protoc rejects, or
one with a field the official schema does not know, gets HTTP 400. They
are converted to JSON with a small strict wire-format decoder below.
protoc is required: without it the receiver does not start.

Fault injection: --fail-first N answers the first N POSTs with
--fail-status (default 503) and, if given, a Retry-After of --retry-after
seconds; --partial-reject N answers every accepted request with a
partial_success of N rejected spans (data points on
/v1/metrics); --delay-ms stalls each answer.

GET /stats returns counters as JSON. --port 0 picks a free port and prints
it; --ready-file gets the port once listening. The socket uses
SO_REUSEADDR, so the receiver can be stopped and restarted on one port.

Example:
  tests/e2e/otlp_receiver.py --port 0 --out /tmp/spans.jsonl \\
      --raw-dir /tmp/raw --fail-first 2 --retry-after 1 --ready-file /tmp/port
"""

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "opentelemetry-proto")
PROTO_FILE = "opentelemetry/proto/collector/trace/v1/trace_service.proto"
PROTO_MSG = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
METRICS_PROTO_FILE = "opentelemetry/proto/collector/metrics/v1/metrics_service.proto"
METRICS_PROTO_MSG = "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"
# protoc --decode prints a field the schema lacks by number ("42: 7",
# "42 {"): a field number the official schema does not have.
UNKNOWN_FIELD = re.compile(r"^\s*[0-9]+(: | \{)", re.M)
MAX_BODY = 64 * 1024 * 1024

# ---------------------------------------------------------------------------
# Minimal protobuf wire decoder, strict about wire types.

VARINT, I64, LEN, I32 = 0, 1, 2, 5


class WireError(ValueError):
    pass


def _varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf):
            raise WireError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise WireError("varint too long")


def fields(buf):
    """Yields (field_number, wire_type, value) of one message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise WireError("field number 0")
        if wt == VARINT:
            v, i = _varint(buf, i)
        elif wt == I64:
            if i + 8 > len(buf):
                raise WireError("truncated fixed64")
            v = buf[i:i + 8]
            i += 8
        elif wt == LEN:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise WireError("truncated length-delimited field")
            v = buf[i:i + n]
            i += n
        elif wt == I32:
            if i + 4 > len(buf):
                raise WireError("truncated fixed32")
            v = buf[i:i + 4]
            i += 4
        else:
            raise WireError("unsupported wire type %d" % wt)
        yield num, wt, v


def _expect(msg, num, wt, want):
    if wt != want:
        raise WireError("%s field %d: wire type %d, expected %d" % (msg, num, wt, want))


def _int64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _str(v):
    return bytes(v).decode("utf-8")  # strict: OTLP strings must be UTF-8


def any_value(buf):
    for num, wt, v in fields(buf):
        if num == 1:
            _expect("AnyValue", num, wt, LEN)
            return _str(v)
        if num == 2:
            _expect("AnyValue", num, wt, VARINT)
            return bool(v)
        if num == 3:
            _expect("AnyValue", num, wt, VARINT)
            return _int64(v)
        if num == 4:
            _expect("AnyValue", num, wt, I64)
            return struct.unpack("<d", v)[0]
        if num == 5:
            _expect("AnyValue", num, wt, LEN)
            return [any_value(x) for n2, w2, x in fields(v) if n2 == 1]
        if num == 6:
            _expect("AnyValue", num, wt, LEN)
            return key_values([x for n2, w2, x in fields(v) if n2 == 1])
        if num == 7:
            _expect("AnyValue", num, wt, LEN)
            return bytes(v).hex()
    return None


def key_values(bufs):
    out = {}
    for b in bufs:
        key, val = "", None
        for num, wt, v in fields(b):
            if num == 1:
                _expect("KeyValue", num, wt, LEN)
                key = _str(v)
            elif num == 2:
                _expect("KeyValue", num, wt, LEN)
                val = any_value(v)
        out[key] = val
    return out


def pb_event(buf):
    ev = {"name": "", "time_unix_nano": 0, "attributes": {}}
    attrs = []
    for num, wt, v in fields(buf):
        if num == 1:
            _expect("Event", num, wt, I64)
            ev["time_unix_nano"] = struct.unpack("<Q", v)[0]
        elif num == 2:
            _expect("Event", num, wt, LEN)
            ev["name"] = _str(v)
        elif num == 3:
            _expect("Event", num, wt, LEN)
            attrs.append(v)
    ev["attributes"] = key_values(attrs)
    return ev


def pb_link(buf):
    """Span.Link: trace_id 1, span_id 2, trace_state 3, attributes 4."""
    ln = {"trace_id": "", "span_id": "", "attributes": {}}
    attrs = []
    for num, wt, v in fields(buf):
        if num in (1, 2):
            _expect("Link", num, wt, LEN)
            ln["trace_id" if num == 1 else "span_id"] = bytes(v).hex()
        elif num == 4:
            _expect("Link", num, wt, LEN)
            attrs.append(v)
    ln["attributes"] = key_values(attrs)
    return ln


def pb_span(buf):
    sp = {"trace_id": "", "span_id": "", "parent_span_id": "", "trace_state": "",
          "flags": 0, "name": "", "kind": 0, "start_time_unix_nano": 0,
          "end_time_unix_nano": 0, "events": [], "links": 0, "link_list": [],
          "status": {"code": 0, "message": ""}}
    attrs = []
    for num, wt, v in fields(buf):
        if num in (1, 2, 4):
            _expect("Span", num, wt, LEN)
            sp[{1: "trace_id", 2: "span_id", 4: "parent_span_id"}[num]] = bytes(v).hex()
        elif num == 3:
            _expect("Span", num, wt, LEN)
            sp["trace_state"] = _str(v)
        elif num == 16:
            _expect("Span", num, wt, I32)
            sp["flags"] = struct.unpack("<I", v)[0]
        elif num == 5:
            _expect("Span", num, wt, LEN)
            sp["name"] = _str(v)
        elif num == 6:
            _expect("Span", num, wt, VARINT)
            sp["kind"] = v
        elif num in (7, 8):
            _expect("Span", num, wt, I64)
            key = "start_time_unix_nano" if num == 7 else "end_time_unix_nano"
            sp[key] = struct.unpack("<Q", v)[0]
        elif num == 9:
            _expect("Span", num, wt, LEN)
            attrs.append(v)
        elif num == 11:
            _expect("Span", num, wt, LEN)
            sp["events"].append(pb_event(v))
        elif num == 13:
            _expect("Span", num, wt, LEN)
            sp["links"] += 1
            sp["link_list"].append(pb_link(v))
        elif num == 15:
            _expect("Span", num, wt, LEN)
            for n2, w2, x in fields(v):
                if n2 == 2:
                    _expect("Status", n2, w2, LEN)
                    sp["status"]["message"] = _str(x)
                elif n2 == 3:
                    _expect("Status", n2, w2, VARINT)
                    sp["status"]["code"] = x
    sp["attributes"] = key_values(attrs)
    return sp


def decode_protobuf(body):
    """ExportTraceServiceRequest bytes -> list of flat span dicts."""
    spans = []
    for num, wt, rs in fields(body):
        if num != 1:
            continue
        _expect("ExportTraceServiceRequest", num, wt, LEN)
        resource = {}
        scope_spans = []
        for n2, w2, v in fields(rs):
            if n2 == 1:
                _expect("ResourceSpans", n2, w2, LEN)
                resource = key_values([x for n3, w3, x in fields(v) if n3 == 1])
            elif n2 == 2:
                _expect("ResourceSpans", n2, w2, LEN)
                scope_spans.append(v)
        for ss in scope_spans:
            scope = {"name": "", "version": ""}
            for n3, w3, v in fields(ss):
                if n3 == 1:
                    _expect("ScopeSpans", n3, w3, LEN)
                    for n4, w4, x in fields(v):
                        if n4 in (1, 2):
                            scope["name" if n4 == 1 else "version"] = _str(x)
            for n3, w3, v in fields(ss):
                if n3 == 2:
                    _expect("ScopeSpans", n3, w3, LEN)
                    sp = pb_span(v)
                    sp["resource"] = resource
                    sp["scope"] = scope
                    spans.append(sp)
    return spans


# ---------------------------------------------------------------------------
# OTLP/JSON -> the same flat structure.

def _json_int(v):
    return int(v) if isinstance(v, (str, int)) else 0


def json_any(v):
    if not isinstance(v, dict):
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "intValue" in v:
        return _json_int(v["intValue"])
    if "doubleValue" in v:
        d = v["doubleValue"]
        return float(d) if isinstance(d, (str, int, float)) else None
    if "arrayValue" in v:
        return [json_any(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return json_kvs(v["kvlistValue"].get("values", []))
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def json_kvs(lst):
    return {kv.get("key", ""): json_any(kv.get("value")) for kv in lst or []}


def decode_json(body):
    doc = json.loads(body)
    spans = []
    for rs in doc.get("resourceSpans", []):
        resource = json_kvs(rs.get("resource", {}).get("attributes"))
        for ss in rs.get("scopeSpans", []):
            sc = ss.get("scope", {})
            scope = {"name": sc.get("name", ""), "version": sc.get("version", "")}
            for s in ss.get("spans", []):
                st = s.get("status", {})
                spans.append({
                    "trace_id": s.get("traceId", ""),
                    "span_id": s.get("spanId", ""),
                    "parent_span_id": s.get("parentSpanId", ""),
                    "trace_state": s.get("traceState", ""),
                    "flags": int(s.get("flags", 0)),
                    "name": s.get("name", ""),
                    "kind": int(s.get("kind", 0)),
                    "start_time_unix_nano": _json_int(s.get("startTimeUnixNano", 0)),
                    "end_time_unix_nano": _json_int(s.get("endTimeUnixNano", 0)),
                    "attributes": json_kvs(s.get("attributes")),
                    "events": [{"name": e.get("name", ""),
                                "time_unix_nano": _json_int(e.get("timeUnixNano", 0)),
                                "attributes": json_kvs(e.get("attributes"))}
                               for e in s.get("events", [])],
                    "links": len(s.get("links", [])),
                    "link_list": [{"trace_id": l.get("traceId", ""),
                                   "span_id": l.get("spanId", ""),
                                   "attributes": json_kvs(l.get("attributes"))}
                                  for l in s.get("links", [])],
                    "status": {"code": int(st.get("code", 0)),
                               "message": st.get("message", "")},
                    "resource": resource,
                    "scope": scope,
                })
    return spans


# ---------------------------------------------------------------------------
# Metrics (POST /v1/metrics) -> one flat dict per data point.

def _packed(v, wt, fmt, size):
    if wt == LEN:
        return [struct.unpack(fmt, bytes(v[i:i + size]))[0] for i in range(0, len(v), size)]
    return [struct.unpack(fmt, bytes(v))[0]]


def pb_metric_points(buf):
    """One Metric message -> its data points."""
    name = unit = kind = ""
    temporality, monotonic, raw_points = 0, False, []
    for num, wt, v in fields(buf):
        if num in (1, 3):
            _expect("Metric", num, wt, LEN)
            if num == 1:
                name = _str(v)
            else:
                unit = _str(v)
        elif num in (5, 7, 9):
            _expect("Metric", num, wt, LEN)
            kind = {5: "gauge", 7: "sum", 9: "histogram"}[num]
            for n2, w2, x in fields(v):
                if n2 == 1:
                    raw_points.append(x)
                elif n2 == 2:
                    temporality = x
                elif n2 == 3:
                    monotonic = bool(x)
    points = []
    for b in raw_points:
        pt = {"metric": name, "unit": unit, "kind": kind, "temporality": temporality,
              "monotonic": monotonic, "bucket_counts": [], "explicit_bounds": []}
        attrs = []
        for n, w, x in fields(b):
            if (kind == "histogram" and n == 9) or (kind != "histogram" and n == 7):
                attrs.append(x)
            elif n in (2, 3):
                _expect("DataPoint", n, w, I64)
                pt["start" if n == 2 else "time"] = struct.unpack("<Q", x)[0]
            elif kind == "histogram" and n == 4:
                _expect("HistogramDataPoint", n, w, I64)
                pt["count"] = struct.unpack("<Q", x)[0]
            elif kind == "histogram" and n in (5, 11, 12):
                _expect("HistogramDataPoint", n, w, I64)
                pt[{5: "sum", 11: "min", 12: "max"}[n]] = struct.unpack("<d", x)[0]
            elif kind == "histogram" and n == 6:
                pt["bucket_counts"] += _packed(x, w, "<Q", 8)
            elif kind == "histogram" and n == 7:
                pt["explicit_bounds"] += _packed(x, w, "<d", 8)
            elif kind != "histogram" and n == 6:
                _expect("NumberDataPoint", n, w, I64)
                pt["value"] = struct.unpack("<q", x)[0]
            elif kind != "histogram" and n == 4:
                _expect("NumberDataPoint", n, w, I64)
                pt["value"] = struct.unpack("<d", x)[0]
        pt["attributes"] = key_values(attrs)
        points.append(pt)
    return points


def decode_metrics_protobuf(body):
    out = []
    for num, wt, rm in fields(body):
        if num != 1:
            continue
        _expect("ExportMetricsServiceRequest", num, wt, LEN)
        resource, sms = {}, []
        for n2, w2, v in fields(rm):
            if n2 == 1:
                resource = key_values([x for n3, w3, x in fields(v) if n3 == 1])
            elif n2 == 2:
                sms.append(v)
        for sm in sms:
            for n3, w3, v in fields(sm):
                if n3 == 2:
                    for pt in pb_metric_points(v):
                        pt["resource"] = resource
                        out.append(pt)
    return out


def decode_metrics_json(body):
    out = []
    for rm in json.loads(body).get("resourceMetrics", []):
        resource = json_kvs(rm.get("resource", {}).get("attributes"))
        for sm in rm.get("scopeMetrics", []):
            for m in sm.get("metrics", []):
                for kind in ("histogram", "sum", "gauge"):
                    d = m.get(kind)
                    if d is None:
                        continue
                    for p in d.get("dataPoints", []):
                        pt = {"metric": m.get("name", ""), "unit": m.get("unit", ""),
                              "kind": kind,
                              "temporality": int(d.get("aggregationTemporality", 0)),
                              "monotonic": bool(d.get("isMonotonic", False)),
                              "attributes": json_kvs(p.get("attributes")),
                              "resource": resource,
                              "start": _json_int(p.get("startTimeUnixNano", 0)),
                              "time": _json_int(p.get("timeUnixNano", 0)),
                              "bucket_counts": [_json_int(c) for c in p.get("bucketCounts", [])],
                              "explicit_bounds": p.get("explicitBounds", [])}
                        if kind == "histogram":
                            pt["count"] = _json_int(p.get("count", 0))
                            for k in ("sum", "min", "max"):
                                if k in p:
                                    pt[k] = float(p[k])
                        else:
                            pt["value"] = _json_int(p.get("asInt", 0))
                        out.append(pt)
    return out


# ---------------------------------------------------------------------------
# protoc validation

def protoc_decode(body, proto_dir, message=PROTO_MSG, proto=PROTO_FILE):
    """Runs protoc --decode against an official schema; returns (ok, text
    or error). Unknown field numbers are an error."""
    p = subprocess.run(
        ["protoc", "--decode=" + message, "--proto_path=" + proto_dir, proto],
        input=body, capture_output=True, timeout=30)
    if p.returncode != 0:
        return False, p.stderr.decode("utf-8", "replace")
    text = p.stdout.decode("utf-8", "replace")
    unknown = UNKNOWN_FIELD.search(text)
    if unknown:
        return False, "field unknown to opentelemetry-proto: %r\n%s" % (
            unknown.group(0).strip(), text)
    return True, text


def pb_partial_success(rejected, message):
    """ExportTraceServiceResponse{partial_success{rejected_spans, error_message}}."""
    def varint(n):
        out = bytearray()
        n &= (1 << 64) - 1
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    msg = message.encode()
    inner = b"\x08" + varint(rejected) + b"\x12" + varint(len(msg)) + msg
    return b"\x0a" + varint(len(inner)) + inner


# ---------------------------------------------------------------------------

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0
        self.failed = 0
        self.accepted = 0
        self.spans = 0
        self.bad = 0


class Handler(BaseHTTPRequestHandler):
    server_version = "otlp-receiver/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            sys.stderr.write("otlp_receiver: " + (fmt % a) + "\n")

    def _reply(self, status, body=b"", ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        if self.path == "/stats":
            with st.lock:
                doc = {"requests": st.requests, "failed_injected": st.failed,
                       "accepted": st.accepted, "spans": st.spans, "bad": st.bad}
            self._reply(200, json.dumps(doc).encode())
        elif self.path == "/healthz":
            self._reply(200, b"ok\n", "text/plain")
        else:
            self._reply(404, b"not found\n", "text/plain")

    def do_POST(self):
        st, args = self.server.state, self.server.state.args
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            self._reply(413, b"too large\n", "text/plain")
            return
        raw = self.rfile.read(length)
        if self.path.rstrip("/") == "/v1/metrics":
            # metrics have their own file; trace request counts and fault
            # injection stay about traces
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            enc = (self.headers.get("Content-Encoding") or "").strip().lower()
            self._metrics({"path": self.path}, raw, enc, ctype, ctype == "application/json")
            return
        if args.delay_ms:
            threading.Event().wait(args.delay_ms / 1000.0)
        with st.lock:
            st.requests += 1
            seq = st.requests
            inject = st.failed < args.fail_first
            if inject:
                st.failed += 1
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        enc = (self.headers.get("Content-Encoding") or "").strip().lower()
        is_json = ctype == "application/json"
        rec = {"seq": seq, "path": self.path, "content_type": ctype,
               "content_encoding": enc, "bytes": len(raw),
               "headers": {k.lower(): v for k, v in self.headers.items()}}

        if self.path.rstrip("/") != "/v1/traces":
            rec["status"] = 404
            self._log_request(rec)
            self._reply(404, b"not found\n", "text/plain")
            return
        if inject:
            extra = {}
            if args.retry_after is not None:
                extra["Retry-After"] = str(args.retry_after)
            rec["status"] = args.fail_status
            rec["injected"] = True
            self._log_request(rec)
            self._reply(args.fail_status, b'{"error":"injected"}', "application/json", extra)
            return

        status, spans, err = 200, [], None
        try:
            if enc == "gzip":
                body = gzip.decompress(raw)
            elif enc in ("", "identity"):
                body = raw
            elif enc == "deflate":
                body = zlib.decompress(raw)
            else:
                raise ValueError("unsupported Content-Encoding " + enc)
            self._save_raw(seq, body, is_json)
            if is_json:
                spans = decode_json(body)
            elif ctype in ("application/x-protobuf", "application/protobuf"):
                ok, text = protoc_decode(body, args.proto_dir)
                self._save_text(seq, text)
                if not ok:
                    raise ValueError("protoc rejected the body: " + text.strip())
                spans = decode_protobuf(body)
            else:
                status, err = 415, "unsupported Content-Type " + ctype
        except (ValueError, OSError, EOFError, zlib.error, json.JSONDecodeError,
                UnicodeDecodeError, subprocess.SubprocessError) as e:
            status, err = 400, str(e)

        rec["status"] = status
        rec["spans"] = len(spans)
        if err:
            rec["error"] = err
        with st.lock:
            if status == 200:
                st.accepted += 1
                st.spans += len(spans)
                if args.out:
                    with open(args.out, "a", encoding="utf-8") as f:
                        for sp in spans:
                            sp["request_seq"] = seq
                            sp["protocol"] = "http/json" if is_json else "http/protobuf"
                            f.write(json.dumps(sp, sort_keys=True) + "\n")
            else:
                st.bad += 1
        self._log_request(rec)
        if status != 200:
            self._reply(status, json.dumps({"error": err}).encode())
            return
        self._reply_ok(is_json, "rejectedSpans")

    def _metrics(self, rec, raw, enc, ctype, is_json):
        """POST /v1/metrics: protoc-checked, decoded to --metrics lines."""
        args = self.server.state.args
        status, points, err = 200, [], None
        try:
            body = gzip.decompress(raw) if enc == "gzip" else raw
            if is_json:
                points = decode_metrics_json(body)
            else:
                ok, text = protoc_decode(body, args.proto_dir, METRICS_PROTO_MSG,
                                         METRICS_PROTO_FILE)
                if not ok:
                    raise ValueError("protoc rejected the body: " + text.strip())
                points = decode_metrics_protobuf(body)
        except (ValueError, OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError,
                subprocess.SubprocessError) as e:
            status, err = 400, str(e)
        if err:
            sys.stderr.write("otlp_receiver: bad metrics request: %s\n" % err)
        if status == 200 and args.metrics:
            with self.server.state.lock, open(args.metrics, "a", encoding="utf-8") as f:
                for pt in points:
                    pt["protocol"] = "http/json" if is_json else "http/protobuf"
                    f.write(json.dumps(pt, sort_keys=True) + "\n")
        if err:
            self._reply(status, json.dumps({"error": err}).encode(), "application/json")
        else:
            self._reply_ok(is_json, "rejectedDataPoints")

    def _reply_ok(self, is_json, rejected_key):
        """200, with --partial-reject's partial_success (JSON rejected_key;
        in protobuf every signal's has the same field numbers)."""
        args = self.server.state.args
        if is_json:
            doc = {}
            if args.partial_reject:
                doc = {"partialSuccess": {rejected_key: str(args.partial_reject),
                                          "errorMessage": args.partial_message}}
            self._reply(200, json.dumps(doc).encode(), "application/json")
        else:
            body = b""
            if args.partial_reject:
                body = pb_partial_success(args.partial_reject, args.partial_message)
            self._reply(200, body, "application/x-protobuf")

    def _save_raw(self, seq, body, is_json):
        d = self.server.state.args.raw_dir
        if d:
            with open(os.path.join(d, "%06d.%s" % (seq, "json" if is_json else "bin")),
                      "wb") as f:
                f.write(body)

    def _save_text(self, seq, text):
        d = self.server.state.args.raw_dir
        if d:
            with open(os.path.join(d, "%06d.txt" % seq), "w", encoding="utf-8") as f:
                f.write(text)

    def _log_request(self, rec):
        path = self.server.state.args.requests
        if path:
            with self.server.state.lock, open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, sort_keys=True) + "\n")


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=4318, help="0 picks a free port")
    ap.add_argument("--out", help="append decoded spans here, one JSON per line")
    ap.add_argument("--raw-dir", help="store each request body here")
    ap.add_argument("--requests", help="append one JSON line per request here")
    ap.add_argument("--metrics", help="append decoded metric points (POST /v1/metrics) here")
    ap.add_argument("--ready-file", help="write the port here once listening")
    ap.add_argument("--fail-first", type=int, default=0, metavar="N")
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--retry-after", default=None, metavar="S",
                    help="Retry-After value sent with injected failures")
    ap.add_argument("--partial-reject", type=int, default=0, metavar="N")
    ap.add_argument("--partial-message", default="rejected by test receiver")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--proto-dir", default=DEFAULT_PROTO_DIR)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    if not shutil.which("protoc"):
        sys.exit("otlp_receiver: protoc not found (Debian: protobuf-compiler); "
                 "it checks every protobuf body")
    if args.raw_dir:
        os.makedirs(args.raw_dir, exist_ok=True)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    port = srv.server_address[1]
    print(port, flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.ready_file)  # readers never see a partial file

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
