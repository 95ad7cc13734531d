#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A real OTLP/gRPC trace receiver for agentrace's end-to-end tests.

Runs under Debian's python3 with python3-grpcio and python3-protobuf. The
official opentelemetry-proto files (a copy in tests/e2e/opentelemetry-proto, with
their license) are compiled by the system protoc at start; the trace
service is registered as a generic handler, so no grpc_tools plugin is
needed. Requests are parsed with the official generated classes (a body
they reject fails the call), then written in otlp_receiver.py's flat span
format so spans from both receivers compare directly.

  --out FILE       one JSON line per span
  --requests FILE  one JSON line per call: metadata, status answered, spans
  --fail-first N   answer the first N calls with --fail-code (UNAVAILABLE)
  --retry-delay S  with RESOURCE_EXHAUSTED: attach a google.rpc.RetryInfo
  --no-gzip        accept only uncompressed messages (identity)
"""

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent import futures

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "opentelemetry-proto")
sys.path.insert(0, HERE)

import otlp_receiver  # noqa: E402  (its flat span decoder)

METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
PROTOS = ["opentelemetry/proto/common/v1/common.proto",
          "opentelemetry/proto/resource/v1/resource.proto",
          "opentelemetry/proto/trace/v1/trace.proto",
          "opentelemetry/proto/collector/trace/v1/trace_service.proto"]


def compile_protos():
    out = tempfile.mkdtemp(prefix="agentrace-otlp-pb-")
    subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out", out] + PROTOS, check=True)
    sys.path.insert(0, out)
    return importlib.import_module("opentelemetry.proto.collector.trace.v1.trace_service_pb2")


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def ld(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def status_with_retry_info(code, seconds):
    """google.rpc.Status{code, details: [Any(RetryInfo{retry_delay})]}."""
    duration = varint(1 << 3) + varint(seconds)
    retry_info = ld(1, duration)
    any_msg = ld(1, b"type.googleapis.com/google.rpc.RetryInfo") + ld(2, retry_info)
    return varint(1 << 3) + varint(code) + ld(3, any_msg)


class State:
    def __init__(self, args):
        self.args = args
        self.calls = 0
        self.lock = threading.Lock()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--out")
    ap.add_argument("--requests")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-code", default="UNAVAILABLE")
    ap.add_argument("--retry-delay", type=int, default=None)
    ap.add_argument("--no-gzip", action="store_true")
    args = ap.parse_args()
    pb = compile_protos()
    st = State(args)

    def export(request, context):
        with st.lock:
            st.calls += 1
            seq = st.calls
        md = {k: v for k, v in context.invocation_metadata()
              if not isinstance(v, bytes)}
        spans = otlp_receiver.decode_protobuf(request.SerializeToString())
        failing = seq <= args.fail_first
        rec = {"seq": seq, "metadata": md, "spans": len(spans),
               "status": args.fail_code if failing else "OK"}
        if args.requests:
            with st.lock, open(args.requests, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if failing:
            code = getattr(grpc.StatusCode, args.fail_code)
            if args.retry_delay is not None:
                context.set_trailing_metadata([(
                    "grpc-status-details-bin",
                    status_with_retry_info(code.value[0], args.retry_delay))])
            context.abort(code, "injected %s %d" % (args.fail_code, seq))
        if args.out:
            with st.lock, open(args.out, "a") as f:
                for sp in spans:
                    sp["protocol"] = "grpc"
                    f.write(json.dumps(sp, sort_keys=True) + "\n")
        return pb.ExportTraceServiceResponse()

    handler = grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {"Export": grpc.unary_unary_rpc_method_handler(
            export, request_deserializer=pb.ExportTraceServiceRequest.FromString,
            response_serializer=pb.ExportTraceServiceResponse.SerializeToString)})
    options = []
    if args.no_gzip:
        options.append(("grpc.compression_enabled_algorithms_bitset", 1))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    server.start()
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.ready_file + ".tmp", args.ready_file)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    done.wait()
    server.stop(1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
