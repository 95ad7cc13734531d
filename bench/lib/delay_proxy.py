#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A TCP proxy that delays every chunk by DELAY_MS in each direction, so a
round trip through it takes at least 2 * DELAY_MS: the slow path of the
first-call bench, without touching the loopback qdisc that other
processes on the host share (tc netem on lo would delay them all).
usage: delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS (prints READY)"""
import asyncio
import sys


async def pipe(reader, writer, delay):
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            due = loop.time() + delay
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def main():
    port, target, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000.0

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, sw, delay), pipe(sr, cw, delay))

    srv = await asyncio.start_server(handle, "127.0.0.1", port)
    print("READY", flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
