"""The benchmark's cold/warm split (`bench.stats.split_cold_warm`)."""

from __future__ import annotations

from bench.stats import split_cold_warm


def one_pass(ms: float, worker: int | None = None) -> dict:
    measured = {"lat_ms": [ms] * 4, "cpu_ms": ms * 4}
    if worker is not None:
        measured["worker"] = worker
    return measured


def test_in_process_the_first_round_is_the_cold_one() -> None:
    split = split_cold_warm([one_pass(9.0), one_pass(2.0), one_pass(3.0)])
    assert split["cold"]["n"] == 4 and split["cold"]["p50"] == 9.0
    assert split["warm"]["n"] == 8 and split["warm"]["p50"] == 2.0


def test_served_each_workers_first_pass_is_cold() -> None:
    """Round 2 went to the other gunicorn worker: it had not seen the queries."""
    split = split_cold_warm([one_pass(9.0, 101), one_pass(8.0, 102), one_pass(2.0, 101)])
    assert split["cold"]["n"] == 8 and split["cold"]["p50"] == 8.0
    assert split["warm"]["n"] == 4 and split["warm"]["p50"] == 2.0


def test_one_round_has_no_warm_phase() -> None:
    assert "warm" not in split_cold_warm([one_pass(9.0, 101)])
    assert "warm" not in split_cold_warm([one_pass(9.0, 101), one_pass(7.0, 102)])
