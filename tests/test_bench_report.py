"""bench/run.py's page, docs/performance.md, as its readers get it: figures, no internal verdicts.

The page is rendered from made-up measures (no benchmark runs here): txtest at
1.5 × cram's time on every workload, which misses the W2 target.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "run.py"
CRAM_SECONDS = 0.2
TXTEST_OVER_CRAM = 1.5


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("txtest_bench_run", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def made_up_results(bench: ModuleType) -> object:
    """Results with every tool on every workload, txtest 1.5 × cram, -j 2 no faster."""
    tools = bench.build_tools(Path("/nowhere"))
    workloads = bench.build_workloads()
    seconds = {"cram": CRAM_SECONDS, "txtest": CRAM_SECONDS * TXTEST_OVER_CRAM}
    measures = {
        (tool.label, workload.name): bench.Measure(
            seconds.get(tool.label, CRAM_SECONDS * TXTEST_OVER_CRAM), 20 * 1024, 1
        )
        for tool in tools
        for workload in workloads
    }
    startup = [(label, 0.05) for label, _ in bench.STARTUP]
    machine = [("Python", "CPython 3.11.7")]
    repeats = {workload.name: 1 for workload in workloads}
    return bench.Results(
        "2026-01-01 00:00 UTC", machine, workloads, tools, measures, repeats, 8000, startup
    )


def test_the_page_shows_ratios_and_targets_but_no_verdicts(bench: ModuleType) -> None:
    page = bench.render_report(made_up_results(bench))

    assert "| W2 time, txtest / cram | 1.50 | ≤ 1.3 |" in page
    for internal in ("FAIL", "**pass**", "SPEC", "§", "no bar", "the bars"):
        assert internal not in page, internal


def test_missed_targets_are_told_to_whoever_runs_the_bench(bench: ModuleType) -> None:
    missed = bench.missed_targets(made_up_results(bench))

    assert "W2 txtest / cram 1.50 > target 1.3" in missed
    assert "W3 -j 2 speedup 1.00 < target 1.6" in missed
    assert not [line for line in missed if line.startswith(("W1", "W5"))]
