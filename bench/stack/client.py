"""The users' side of the stack path: a small HTTP/1.1 client on raw asyncio streams.

Real users' browsers do not run on the server's cores; here they do, and httpx cost ~1-2 ms of
CPU per request on the same two cores that serve the stack, so the measuring side stays as
light as it can.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time


async def _http(reader, writer, head: str, body: bytes = b"") -> tuple[int, dict[str, str]]:
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers


async def _body_chunks(reader, headers: dict[str, str]):
    if "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            yield await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readline()


async def one_user(base: str, cookie: str, slug: str, question: str, t_start: float, token: str):
    from urllib.parse import urlencode, urlsplit

    host = urlsplit(base).netloc
    hostname, port = host.rsplit(":", 1)
    common = f"Host: {host}\r\nCookie: {cookie}\r\nConnection: keep-alive\r\n"
    form = urlencode({"csrfmiddlewaretoken": token, "in-question": question}).encode()
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection(hostname, int(port))
    try:
        status, headers = await _http(
            reader,
            writer,
            f"POST /t/{slug}/run HTTP/1.1\r\n{common}"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\n\r\n",
            form,
        )
        async for _ in _body_chunks(reader, headers):
            pass
        if status != 302:
            raise RuntimeError(f"POST returned {status}")
        t_posted = time.perf_counter()
        path = urlsplit(headers["location"]).path + "events"
        status, headers = await _http(
            reader, writer, f"GET {path} HTTP/1.1\r\n{common}Accept: text/event-stream\r\n\r\n"
        )
        first = final = None
        pending, texts = b"", []
        async for chunk in _body_chunks(reader, headers):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if line.startswith(b'data: {"type":"text"'):
                    texts.append(time.perf_counter())
                    first = first or texts[0]
                elif line.startswith(b'data: {"type":"final"'):
                    final = json.loads(line[5:])
            if final is not None:
                break
    finally:
        writer.close()
    end = time.perf_counter()
    return {
        "ttft": (first or end) - t0,
        "post": t_posted - t0,
        "tokens": (final or {}).get("completion_tokens") or 0,
        "gaps": [b - a for a, b in itertools.pairwise(texts)],
        "start": t0 - t_start,
        "end": end - t_start,
        "state": (final or {}).get("state"),
    }


async def signed_in(base: str, cookies: dict, slug: str) -> tuple[str, str]:
    """A signed-in user's Cookie header and CSRF token, from opening the run form (this is
    not part of any measure)."""
    import httpx

    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as client:
        html = (await client.get(f"/t/{slug}/run")).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items()), token


async def stack_round(base: str, users: list[dict], slug: str, questions: list[str]) -> list[dict]:
    """Each question is asked by its own signed-in user, with a client of its own (own
    session, CSRF cookie and token, connection); all POSTs start together."""

    async def user_run(cookies: dict, question: str, barrier: asyncio.Barrier, box: dict) -> dict:
        cookie, token = await signed_in(base, cookies, slug)
        await barrier.wait()
        if "t_start" not in box:
            box["t_start"], box["t_wall"] = time.perf_counter(), time.time()
        return await one_user(base, cookie, slug, question, box["t_start"], token)

    barrier, box = asyncio.Barrier(len(questions)), {}
    rows = await asyncio.gather(
        *(user_run(users[i % len(users)], q, barrier, box) for i, q in enumerate(questions))
    )
    for row in rows:
        row["t_wall"] = box["t_wall"]
    return rows
