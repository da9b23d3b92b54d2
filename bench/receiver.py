"""A fast local stand-in for Slack and the CRM that counts what it receives, and repeats.

Run as a process of its own: ``python bench/receiver.py --port 8766 --delay-ms 5``.

- ``POST /slack/…`` answers ``ok``; the job a message is about is the admin link in it.
- ``POST /crm/activities`` answers 201 with JSON; the job is its ``Idempotency-Key``.
- Every answer waits ``--delay-ms`` (a receiver on the internet is not instant) without
  holding up other connections (asyncio, HTTP/1.1 keep-alive).
- ``GET /stats`` answers ``{"requests": n, "distinct": d, "repeated": n - d}``;
  ``POST /reset`` forgets everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json

COUNTS: dict[str, int] = {}
TOTAL = [0]


def job_key(path: str, headers: dict[str, str], body: bytes) -> str:
    if path.startswith("/crm/"):
        return "crm:" + headers.get("idempotency-key", "")
    try:
        message = json.loads(body)
        return "slack:" + message["blocks"][2]["elements"][0]["url"]
    except (ValueError, KeyError, IndexError, TypeError):
        return "slack:unreadable:" + body[:200].decode(errors="replace")


def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
    if method == "GET" and path == "/stats":
        distinct = len(COUNTS)
        stats = {"requests": TOTAL[0], "distinct": distinct, "repeated": TOTAL[0] - distinct}
        return 200, json.dumps(stats).encode(), "application/json"
    if method == "POST" and path == "/reset":
        COUNTS.clear()
        TOTAL[0] = 0
        return 200, b"{}", "application/json"
    if method == "POST" and (path.startswith("/slack/") or path == "/crm/activities"):
        key = job_key(path, headers, body)
        COUNTS[key] = COUNTS.get(key, 0) + 1
        TOTAL[0] += 1
        if path.startswith("/slack/"):
            return 200, b"ok", "text/plain"
        return 201, b'{"id": "act_1"}', "application/json"
    return 404, b"not found", "text/plain"


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                delay: float) -> None:
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                return
            method, path, _ = request_line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            status, data, content_type = answer(method, path, headers, body)
            if delay and path not in ("/stats", "/reset"):
                await asyncio.sleep(delay)
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode() + data
            )
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    finally:
        writer.close()


async def main(port: int, delay: float) -> None:
    server = await asyncio.start_server(lambda r, w: serve(r, w, delay), "127.0.0.1", port,
                                        backlog=1024)
    print(f"receiver listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--delay-ms", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.delay_ms / 1000))
