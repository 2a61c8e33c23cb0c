"""The load benchmark's own logic, without starting a stack: its bounds on users and time,
and how it reads locust's statistics and the runs' streaming timings."""

import pytest

from bench.load.__main__ import parse_args
from bench.load.report import read_locust_csv, render, run_figures

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)


def test_users_and_minutes_are_bounded():
    args = parse_args(["--minutes", "2", "--users", "4"])
    assert (args.minutes, args.users) == (2.0, 4)
    for bad in (["--users", "0"], ["--users", "100000"], ["--minutes", "0"], ["--minutes", "999"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_reads_locust_stats_per_page(tmp_path):
    path = tmp_path / "stats_stats.csv"
    path.write_text(
        HEADER
        + "GET,/,48,1,28,30,5,90,5000,0.41,0.01,28,30,33,35,45,54,60,70,90,90,90\n"
        + "POST,/t/[slug]/run (POST),3,0,23,25,5,90,0,0.03,0,23,30,33,35,45,N/A,60,70,90,90,90\n"
        + ",Aggregated,51,1,26,28,5,90,4700,0.44,0.01,26,30,33,35,45,66,60,70,90,90,90\n"
    )
    pages = read_locust_csv(path)
    assert pages[0] == {
        "name": "/",
        "method": "GET",
        "requests": 48,
        "failures": 1,
        "rps": 0.41,
        "p50_ms": 28.0,
        "p95_ms": 54.0,
    }
    assert pages[1]["p95_ms"] is None
    assert pages[2]["name"] == "all" and pages[2]["requests"] == 51


def test_run_figures_and_table():
    runs = [
        {"ttft": 0.1, "gaps": [0.05, 0.07], "state": "succeeded", "tokens": 3},
        {"ttft": 0.3, "gaps": [0.05], "state": "succeeded", "tokens": 2},
        {"ttft": None, "gaps": [], "state": "failed", "tokens": 0},
    ]
    figures = run_figures(runs)
    assert figures["runs"] == 3 and figures["succeeded"] == 2 and figures["tokens"] == 5
    assert figures["ttft_p50_ms"] == pytest.approx(200.0)
    assert figures["gap_p50_ms"] == pytest.approx(50.0) and figures["gap_max_ms"] == 70.0
    assert run_figures([])["ttft_p50_ms"] is None
    table = render(
        {
            "users": 2,
            "seconds": 60,
            "pages": [
                {"name": "/", "method": "GET", "requests": 1, "failures": 0, "rps": 0.1,
                 "p50_ms": 1.0, "p95_ms": 2.0}
            ],
            "runs": figures,
            "rss_mib": {"start": {"web": 90.0, "worker": 1400.0},
                        "after 1 min": {"web": 95.0, "worker": 1450.0},
                        "end": {"web": 100.0, "worker": 1500.0},
                        "peak": {"web": 100.0, "worker": 1510.0}},
        }
    )  # fmt: skip
    assert (
        "GET /" in table
        and "TTFT p50 200.0 ms" in table
        and "worker 1400.0 / 1450.0 / 1500.0 / 1510.0" in table
    )


def test_memory_summary_sets_the_end_against_the_first_minute():
    from bench.load.report import MemorySampler

    sampler = MemorySampler(stack=None)
    sampler.samples = [
        (0.0, {"web": 90.0}),
        (30.0, {"web": 600.0}),
        (61.0, {"web": 610.0}),
        (300.0, {"web": 640.0}),
        (600.0, {"web": 615.0}),
    ]
    assert sampler.summary() == {
        "start": {"web": 90.0},
        "after 1 min": {"web": 610.0},
        "end": {"web": 615.0},
        "peak": {"web": 640.0},
    }
