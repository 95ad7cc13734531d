#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes a list of HTTPS calls in order, one connection each, from ONE
process (so a tracer targeting it by comm attaches once, before the first
call: python maps libssl lazily). Trusts SSL_CERT_FILE.

  calls.py FILE   FILE: JSON list of {"url", "headers": {}, "body": obj|null}
Prints one JSON line per call: {"status": N}. Exits 0 whatever the statuses."""

import json
import sys
import urllib.error
import urllib.request


def main():
    calls = json.load(open(sys.argv[1]))
    for c in calls:
        data = None
        headers = dict(c.get("headers") or {})
        if c.get("body") is not None:
            data = json.dumps(c["body"]).encode()
            headers["content-type"] = "application/json"
        req = urllib.request.Request(c["url"], data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            e.read()
            status = e.code
        print(json.dumps({"status": status}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
