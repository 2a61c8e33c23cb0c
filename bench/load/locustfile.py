"""The simulated visitors (run by `python -m bench.load` in a locust subprocess; gevent's
monkey-patching stays out of the orchestrating Django process).

Each user browses (home, categories, a category, a tag, a tool page, the API's tool list),
searches, and now and then runs the benchmark tool: it posts the run form, then reads the
run's Server-Sent Events until the final event, timing the first text and the gaps between
texts. Those timings are written to GPTSTORE_LOAD_RESULTS when the test stops; locust's own
figure for the events request is the time until the stream's headers (it is streamed).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

CONFIG = json.loads(open(os.environ["GPTSTORE_LOAD_CONFIG"]).read())
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SESSIONS = itertools.cycle(CONFIG["sessions"])
RUNS: list[dict] = []  # one row per run: ttft, gaps, state


class Visitor(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.client.cookies.set(CONFIG["session_cookie"], next(SESSIONS))
        self.token = None

    @task(4)
    def home(self) -> None:
        self.client.get("/", name="/")

    @task(2)
    def categories(self) -> None:
        self.client.get("/categories/", name="/categories/")

    @task(2)
    def category(self) -> None:
        self.client.get(f"/c/{random.choice(CONFIG['categories'])}/", name="/c/[slug]/")

    @task(2)
    def tag(self) -> None:
        self.client.get(f"/tag/{random.choice(CONFIG['tags'])}/", name="/tag/[slug]/")

    @task(4)
    def tool_page(self) -> None:
        self.client.get(f"/t/{random.choice(CONFIG['tools'])}/", name="/t/[slug]/")

    @task(4)
    def search(self) -> None:
        self.client.get("/search/", params={"q": random.choice(CONFIG["queries"])}, name="/search/")

    @task(2)
    def api_tools(self) -> None:
        self.client.get("/api/tools/", params={"sort": "rating"}, name="/api/tools/")

    @task(CONFIG["run_weight"])
    def run_tool(self) -> None:
        slug = CONFIG["run_tool"]
        if self.token is None:
            html = self.client.get(f"/t/{slug}/run", name="/t/[slug]/run (form)").text
            found = CSRF.search(html)
            if found is None:
                return
            self.token = found.group(1)
        question = random.choice(CONFIG["questions"])
        t0 = time.perf_counter()
        resp = self.client.post(
            f"/t/{slug}/run",
            data={"csrfmiddlewaretoken": self.token, "in-question": question},
            headers={"Referer": self.host + f"/t/{slug}/run"},
            allow_redirects=False,
            name="/t/[slug]/run (POST)",
        )
        if resp.status_code != 302:
            self.token = None
            return
        self._follow(resp.headers["Location"], t0)

    def _follow(self, location: str, t0: float) -> None:
        path = urlsplit(location).path
        texts: list[float] = []
        final: dict = {}
        with self.client.get(
            path + "events",
            headers={"Accept": "text/event-stream"},
            stream=True,
            name="/r/[id]/events (until headers)",
            catch_response=True,
            timeout=300,
        ) as resp:
            for line in resp.iter_lines():
                if line.startswith(b'data: {"type":"text"'):
                    texts.append(time.perf_counter())
                elif line.startswith(b'data: {"type":"final"'):
                    final = json.loads(line[5:])
                    break
            if final.get("state") == "succeeded":
                resp.success()
            else:
                resp.failure(f"run ended {final.get('state') or 'without a final event'}")
        RUNS.append(
            {
                "ttft": (texts[0] - t0) if texts else None,
                "gaps": [b - a for a, b in itertools.pairwise(texts)],
                "state": final.get("state"),
                "tokens": final.get("completion_tokens") or 0,
            }
        )


@events.test_stop.add_listener
def _write_runs(**_kwargs) -> None:
    with open(os.environ["GPTSTORE_LOAD_RESULTS"], "w") as f:
        json.dump(RUNS, f)
