#!/usr/bin/env python3
"""Python peers for @aioloop/bench: asyncio (and uvloop when importable) doing the same jobs as
the TypeScript scenarios, reporting nanoseconds per operation as JSON on stdout.

HOW: the bench runs this script once per loop flavour and area:

  peers.py probe
      -> {"python": "3.11.7", "uvloop": "0.19.0" | null}
  peers.py micro --loop asyncio --switch 10000 --timers 200000 --cancel-half 200000 --rounds 5
      -> {"loop": "asyncio", "results": {"switch": [ns/op, ...], "timers:200000": [...], ...}}
  peers.py echo-server --loop uvloop --style protocol|streams
      -> prints {"port": N}; then, for every line "cpu" on stdin, {"cpu_us": N} (this process's
         CPU time so far); exits when stdin closes or says "exit".

WHY the same shapes as the TypeScript side: a task switch is `await asyncio.sleep(0)` (what
`yield* sleep(0)` mirrors), timers are `loop.call_later` with the same 0-2 ms delays, and timer
costs are process CPU time (time.process_time), as on the TypeScript side, so waiting for the
2 ms deadlines does not count. Each measured round is preceded by one warm-up round.
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import time

# Delay pattern shared with the TypeScript timers suite: 0, 1 or 2 ms, spread evenly.
DELAY_STRIDE = 7919
DELAY_SPREAD_MS = 3

# asyncio.StreamReader.read chunk for the streams echo (the TypeScript side reads 64 KiB too).
READ_CHUNK = 64 * 1024


def new_loop(flavour):
    if flavour == "uvloop":
        import uvloop  # noqa: PLC0415 (only when asked for)

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def switch_batch(n):
    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.sleep(0)
    return (time.perf_counter() - t0) * 1e9 / n


async def timers_batch(n, cancel_half):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    expected = n - n // 2 if cancel_half else n
    fired = 0

    def cb():
        nonlocal fired
        fired += 1
        if fired == expected:
            done.set_result(None)

    c0 = time.process_time()
    handles = [
        loop.call_later(((i * DELAY_STRIDE) % DELAY_SPREAD_MS) / 1000.0, cb) for i in range(n)
    ]
    if cancel_half:
        for i in range(1, n, 2):
            handles[i].cancel()
    await done
    return (time.process_time() - c0) * 1e9 / n


def measure(loop, make, rounds):
    loop.run_until_complete(make())  # warm-up
    return [loop.run_until_complete(make()) for _ in range(rounds)]


def cmd_micro(args):
    loop = new_loop(args.loop)
    results = {}
    try:
        if args.switch:
            results["switch"] = measure(loop, lambda: switch_batch(args.switch), args.rounds)
        for n in args.timers or []:
            results[f"timers:{n}"] = measure(loop, lambda n=n: timers_batch(n, False), args.rounds)
        for n in args.cancel_half or []:
            results[f"cancel-half:{n}"] = measure(
                loop, lambda n=n: timers_batch(n, True), args.rounds
            )
    finally:
        loop.close()
    print(json.dumps({"loop": args.loop, "results": results}))


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def echo_streams(reader, writer):
    try:
        while True:
            data = await reader.read(READ_CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def control_thread():
    """Answer "cpu" lines from the bench; leave when stdin closes (the bench went away)."""
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "cpu":
            sys.stdout.write(json.dumps({"cpu_us": time.process_time() * 1e6}) + "\n")
            sys.stdout.flush()
        elif cmd == "exit":
            break
    os._exit(0)


def cmd_echo_server(args):
    loop = new_loop(args.loop)
    asyncio.set_event_loop(loop)
    if args.style == "protocol":
        server = loop.run_until_complete(loop.create_server(EchoProtocol, "127.0.0.1", 0))
    else:
        server = loop.run_until_complete(asyncio.start_server(echo_streams, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(json.dumps({"port": port}) + "\n")
    sys.stdout.flush()
    threading.Thread(target=control_thread, daemon=True).start()
    loop.run_forever()


def cmd_probe(_args):
    try:
        import uvloop  # noqa: PLC0415

        uv = uvloop.__version__
    except ImportError:
        uv = None
    print(json.dumps({"python": sys.version.split()[0], "uvloop": uv}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("probe")
    m = sub.add_parser("micro")
    m.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    m.add_argument("--switch", type=int, default=0)
    m.add_argument("--timers", type=int, action="append")
    m.add_argument("--cancel-half", type=int, action="append")
    m.add_argument("--rounds", type=int, default=5)
    e = sub.add_parser("echo-server")
    e.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    e.add_argument("--style", choices=["protocol", "streams"], default="protocol")
    args = p.parse_args()
    {"probe": cmd_probe, "micro": cmd_micro, "echo-server": cmd_echo_server}[args.cmd](args)


if __name__ == "__main__":
    main()
