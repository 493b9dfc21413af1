"""Benchmark txtest against cram, prysk and bash alone, and write docs/performance.md.

Usage: ``make bench`` or ``.venv/bin/python bench/run.py [--quick] [--repeat N] [--only W1,W4]
[--tools txtest,cram,prysk,bash] [--out PATH]``.

Stdlib only. cram and prysk live in their own venv (``.bench/venv``), created on
first use, so they never mix with txtest's dependencies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_VENV = REPO / ".bench" / "venv"
# txtest is timed as users run it: installed (not editable) and byte-compiled by
# pip, in the bench venv beside cram and prysk, from this checkout's current code.
TXTEST = BENCH_VENV / "bin" / "txtest"
DEFAULT_OUT = REPO / "docs" / "performance.md"
TOOL_GROUPS = ("txtest", "cram", "prysk", "bash")
MIB = 1024.0  # ru_maxrss is in KiB on Linux


# --- workloads ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One command and the lines it must print."""

    command: str
    expected: tuple[str, ...]
    printed: tuple[str, ...] | None = None
    """The lines as printed, escape sequences and all, when they differ from what a
    terminal shows (expected): what cram compares, and bash alone must print."""

    @property
    def raw(self) -> tuple[str, ...]:
        """The lines the command prints."""
        return self.expected if self.printed is None else self.printed


@dataclass(frozen=True, slots=True)
class Workload:
    """A named set of documents, each a sequence of cases run in one shell."""

    name: str
    title: str
    documents: tuple[tuple[Case, ...], ...]


def build_workloads() -> tuple[Workload, ...]:
    """The six workloads, W1..W6."""
    echo = tuple(Case(f"echo line{i}", (f"line{i}",)) for i in range(1, 1001))
    external = tuple(Case(f"/bin/echo ext{i}", (f"ext{i}",)) for i in range(1, 201))
    many = tuple(
        tuple(Case(f"echo doc{d}-cmd{i}", (f"doc{d}-cmd{i}",)) for i in range(1, 21))
        for d in range(1, 51)
    )
    seq = Case("seq 1 200000", tuple(str(i) for i in range(1, 200001)))
    numbers = range(1, W6_LINES + 1)
    coloured = Case(
        f"seq -f $'\\e[32mline %.0f\\e[0m' 1 {W6_LINES}",
        tuple(f"line {i}" for i in numbers),
        tuple(f"\x1b[32mline {i}\x1b[0m" for i in numbers),
    )
    return (
        Workload("W1", "1 document, 1000 × `echo lineN`", (echo,)),
        Workload("W2", "1 document, 200 × `/bin/echo extN` (external program)", (external,)),
        Workload("W3", "50 documents × 20 `echo` commands", many),
        Workload("W4", "1 document, `seq 1 200000` (200000 lines expected)", ((seq,),)),
        Workload("W5", "1 document, 1 × `echo hello`", ((Case("echo hello", ("hello",)),),)),
        Workload(
            "W6",
            f"1 document, 1 command printing {W6_LINES} short green lines (rendered)",
            ((coloured,),),
        ),
    )


W6_LINES = 300_000


def render_markdown(cases: Sequence[Case]) -> str:
    """A Markdown document with one console block per command."""
    parts = ["# Benchmark document\n"]
    for case in cases:
        body = "".join(f"{line}\n" for line in case.expected)
        parts.append(f"\n```console\n$ {case.command}\n{body}```\n")
    return "".join(parts)


def render_cram(cases: Sequence[Case]) -> str:
    """A cram .t file: the same commands as one transcript."""
    lines = ["Benchmark document\n"]
    for case in cases:
        lines.append(f"  $ {case.command}\n")
        lines.extend(f"  {cram_line(line)}\n" for line in case.raw)
    return "".join(lines)


def cram_line(line: str) -> str:
    """An expected line for cram: escape characters written as an `(esc)` line."""
    if "\x1b" not in line:
        return line
    return line.replace("\\", "\\\\").replace("\x1b", "\\x1b") + " (esc)"


def render_script(cases: Sequence[Case]) -> str:
    """A plain bash script running the same commands."""
    return "set -e\n" + "".join(f"{case.command}\n" for case in cases)


@dataclass(frozen=True, slots=True)
class WorkloadFiles:
    """A workload written to disk in each tool's format; paths relative to ``root``."""

    root: Path
    markdown: tuple[str, ...]
    cram: tuple[str, ...]
    script: str
    expected_stdout: str


def write_text(path: Path, text: str) -> str:
    """Write ``text`` to ``path`` (making parents); return the path's last two parts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"{path.parent.name}/{path.name}"


def write_workload(workload: Workload, root: Path) -> WorkloadFiles:
    """Write ``workload`` under ``root`` as .md, .t and .sh files."""
    markdown: list[str] = []
    cram: list[str] = []
    scripts: list[str] = []
    for number, cases in enumerate(workload.documents, start=1):
        stem = f"doc{number:02d}"
        markdown.append(write_text(root / "md" / f"{stem}.md", render_markdown(cases)))
        cram.append(write_text(root / "t" / f"{stem}.t", render_cram(cases)))
        scripts.append(write_text(root / "sh" / f"{stem}.sh", render_script(cases)))
    script = scripts[0]
    if len(scripts) > 1:  # one bash per document, as the tools start one shell per document
        driver = "set -e\n" + "".join(f"bash {path}\n" for path in scripts)
        script = write_text(root / "sh" / "all.sh", driver)
    expected = "".join(
        f"{line}\n" for cases in workload.documents for case in cases for line in case.raw
    )
    return WorkloadFiles(root, tuple(markdown), tuple(cram), script, expected)


# --- tools -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tool:
    """A way to run a workload: a label, its group (for --tools) and its argv."""

    label: str
    group: str
    argv: Callable[[WorkloadFiles], list[str]]
    workloads: frozenset[str] | None = None  # None: every workload


def build_tools(bench_bin: Path) -> tuple[Tool, ...]:
    """Every tool the benchmark knows, txtest first."""
    cram, prysk = str(bench_bin / "cram"), str(bench_bin / "prysk")
    return (
        Tool("txtest", "txtest", lambda f: [str(TXTEST), *f.markdown]),
        Tool(
            "txtest -j 2",
            "txtest",
            lambda f: [str(TXTEST), "-j", "2", *f.markdown],
            frozenset({"W3"}),
        ),
        Tool(
            HALVES,
            "txtest",
            lambda f: ["bash", "-c", HALVES_SCRIPT, "bash", str(TXTEST), *f.markdown],
            frozenset({"W3"}),
        ),
        Tool("cram", "cram", lambda f: [cram, "--shell=/bin/bash", *f.cram]),
        Tool("prysk", "prysk", lambda f: [prysk, "--shell=/bin/bash", *f.cram]),
        Tool(C_BASH, "bash", lambda f: ["env", "LC_ALL=C", "bash", f.script]),
        Tool(UTF8_BASH, "bash", lambda f: ["env", "LC_ALL=C.UTF-8", "bash", f.script]),
    )


HALVES = "2 × txtest, half each"
"""Two `txtest -j 1` processes at once, each on half of the documents: what `-j 2`
could come to if splitting the work cost nothing (each still pays its own start-up)."""
HALVES_SCRIPT = (
    't=$1; shift; n=$(( $# / 2 )); "$t" "${@:1:n}" & p=$!; "$t" "${@:n+1}"; s=$?; '
    'wait "$p" || exit; exit "$s"'
)
C_BASH = "bash, LC_ALL=C"
"""bash alone in cram's locale."""
UTF8_BASH = "bash, LC_ALL=C.UTF-8"
"""bash alone in the locale txtest gives its sessions: what the UTF-8 locale costs by itself."""


def ensure_bench_venv(venv: Path) -> Path:
    """Create ``venv`` with cram and prysk unless it has them; return its bin dir."""
    bin_dir = venv / "bin"
    pip = [
        str(bin_dir / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    if not all((bin_dir / name).exists() for name in ("cram", "prysk")):
        progress(f"creating {venv} and installing cram, prysk (first run only)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, "cram", "prysk"], check=True)
    progress(f"installing txtest from {REPO} into {venv}")
    # The distribution was called `txtest` before it became `txtest-cli`: drop a copy
    # installed under the old name, whose files the new one would otherwise overlay.
    uninstall = [str(bin_dir / "python"), "-m", "pip", "uninstall", "--quiet", "--yes", "txtest"]
    subprocess.run(uninstall, check=True, stderr=subprocess.DEVNULL)
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(REPO)], check=True)
    subprocess.run([*pip, str(REPO)], check=True)
    return bin_dir


# --- running -----------------------------------------------------------------


class BenchError(Exception):
    """A tool does not pass a workload, so there is nothing fair to time."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run: exit status, wall seconds, peak RSS in KiB."""

    status: int
    seconds: float
    max_rss_kib: int


# Spawning straight from this process would skew ru_maxrss: the child's peak
# starts at the RSS of the process it was forked from (Linux keeps the old mm's
# high-water mark across exec), and this process holds the workloads. So a
# minimal interpreter (-I -S, about 8 MiB) spawns the tool, times it from
# spawn to reap, and reports: exit status, seconds, ru_maxrss (KiB).
LAUNCHER = """\
import os, sys, time
null = os.open(os.devnull, os.O_RDWR)
actions = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=actions)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
print(os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss)
"""


def run_timed(argv: Sequence[str], cwd: Path) -> Sample:
    """Run ``argv`` in ``cwd`` with no input and output discarded, through LAUNCHER."""
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, *argv]
    report = subprocess.run(launcher, cwd=cwd, capture_output=True, text=True, check=True)
    status, seconds, max_rss_kib = report.stdout.split()
    return Sample(int(status), float(seconds), int(max_rss_kib))


def is_usage_error(result: subprocess.CompletedProcess[str]) -> bool:
    """True when a command line was rejected (click's usage error, exit 2)."""
    text = (result.stdout + result.stderr).lower()
    return result.returncode == 2 and ("no such option" in text or "usage:" in text)


def tail(text: str, lines: int = 15) -> str:
    """The last ``lines`` lines of ``text``, indented for a message."""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def check_passes(tool: Tool, files: WorkloadFiles, workload: str) -> float | None:
    """Run once, not counted; return its seconds, None for n/a, or raise BenchError.

    This doubles as the warm-up run (page cache, .pyc files).
    """
    argv = tool.argv(files)
    start = time.perf_counter()
    result = subprocess.run(
        argv,
        cwd=files.root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if tool.label != tool.group and is_usage_error(result):
        progress(f"{workload}: `{tool.label}` is not supported yet (usage error): n/a")
        return None
    wrong_output = tool.group == "bash" and result.stdout != files.expected_stdout
    if result.returncode != 0 or wrong_output:
        why = "printed other output" if wrong_output else f"exited {result.returncode}"
        shown = shlex.join(argv) if len(argv) <= 4 else shlex.join(argv[:4]) + " ..."
        raise BenchError(
            f"{tool.label} does not pass {workload} ({why}), so it cannot be timed.\n"
            f"  command: (cd {files.root} && {shown})\n"
            f"  output (tail):\n{tail(result.stdout + result.stderr)}"
        )
    return seconds


def choose_repeats(slowest: float, repeat: int | None, quick: bool) -> int:
    """Repetitions for a workload: fewer when its slowest tool is slow."""
    if repeat is not None:
        return repeat
    if quick:
        return 1
    if slowest < 2.0:
        return 7
    return 5 if slowest < 10.0 else 3


def time_tools(
    tools: Sequence[Tool], files: WorkloadFiles, repeats: int
) -> dict[str, list[Sample]]:
    """Time every tool ``repeats`` times, rotating their order each repetition."""
    samples: dict[str, list[Sample]] = {tool.label: [] for tool in tools}
    for rep in range(repeats):
        shift = rep % len(tools)
        for tool in (*tools[shift:], *tools[:shift]):
            sample = run_timed(tool.argv(files), files.root)
            if sample.status != 0:
                raise BenchError(f"{tool.label} failed during timing (exit {sample.status})")
            samples[tool.label].append(sample)
    return samples


@dataclass(frozen=True, slots=True)
class Measure:
    """What one (tool, workload) pair came to."""

    median_seconds: float
    max_rss_kib: int
    runs: int


def measure_workload(
    workload: Workload, tools: Sequence[Tool], root: Path, repeat: int | None, quick: bool
) -> tuple[dict[str, Measure], int]:
    """Write, check and time one workload; return measures by tool label, and repeats."""
    files = write_workload(workload, root / workload.name)
    applicable = [t for t in tools if t.workloads is None or workload.name in t.workloads]
    checked: list[Tool] = []
    slowest = 0.0
    for tool in applicable:
        progress(f"{workload.name}: checking {tool.label}")
        seconds = check_passes(tool, files, workload.name)
        if seconds is not None:
            checked.append(tool)
            slowest = max(slowest, seconds)
    repeats = choose_repeats(slowest, repeat, quick)
    progress(f"{workload.name}: timing {len(checked)} tools × {repeats} repetitions")
    samples = time_tools(checked, files, repeats) if checked else {}
    measures = {
        label: Measure(
            statistics.median(s.seconds for s in runs), max(s.max_rss_kib for s in runs), len(runs)
        )
        for label, runs in samples.items()
    }
    return measures, repeats


# --- machine -----------------------------------------------------------------


def first_line(argv: Sequence[str]) -> str:
    """The first line a command prints, or a note that it failed."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as error:
        return f"unavailable ({error.strerror})"
    lines = (result.stdout or result.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(python: Path, package: str) -> str:
    """The installed version of ``package`` in the environment of ``python``."""
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return first_line([str(python), "-c", code])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    return " / ".join(f"{load:.2f}" for load in os.getloadavg())


CPU_LOOP = "x = 0\nfor i in range(3_000_000):\n    x += i * i\n"


def parallel_throughput() -> str:
    """Work done by two CPU-bound processes at once, against one alone (2.00: two whole cores)."""
    loop = shlex.join([sys.executable, "-I", "-S", "-c", CPU_LOOP])
    alone = statistics.median(run_timed(["bash", "-c", loop], REPO).seconds for _ in range(3))
    pair = statistics.median(
        run_timed(["bash", "-c", f"{loop} & {loop}; wait"], REPO).seconds for _ in range(3)
    )
    return f"{2 * alone / pair:.2f} × one process alone ({alone:.2f} s alone, {pair:.2f} s for two)"


def describe_machine(
    bench_bin: Path, groups: Sequence[str], load_before: str
) -> list[tuple[str, str]]:
    """Rows of (what, value) describing where and with what the run happened."""
    rows = [
        ("CPUs (nproc)", f"{len(os.sched_getaffinity(0))} × {cpu_model()}"),
        ("two CPU-bound Python processes at once get done", parallel_throughput()),
        ("load average (1/5/15 min), start → end", f"{load_before} → {load_average()}"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("bash", first_line(["bash", "--version"])),
    ]
    if "txtest" in groups:
        commit = first_line(["git", "-C", str(REPO), "describe", "--always", "--dirty"])
        version = package_version(TXTEST.parent / "python", "txtest-cli")
        rows.append(("txtest", f"{version}, commit {commit}"))
    for name in ("cram", "prysk"):
        if name in groups:
            rows.append((name, package_version(bench_bin / "python", name)))
    return rows


# --- report ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Results:
    """Everything one run measured."""

    date: str
    machine: list[tuple[str, str]]
    workloads: tuple[Workload, ...]
    tools: tuple[Tool, ...]
    measures: dict[tuple[str, str], Measure]  # (tool label, workload name)
    repeats: dict[str, int]
    floor_kib: int  # ru_maxrss of `true` through the launcher
    startup: list[tuple[str, float]]  # (what, median seconds) of bare interpreter starts
    flood: Sample | None = None  # txtest on an endless writer under --timeout 2


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def cell(results: Results, tool: Tool, workload: str, what: Callable[[Measure], str]) -> str:
    """One measure formatted; n/a where the tool could not run it, a dash where it doesn't."""
    measure = results.measures.get((tool.label, workload))
    if measure:
        return what(measure)
    return "n/a" if tool.workloads is None or workload in tool.workloads else "—"


def tools_table(results: Results, unit: str, what: Callable[[Measure], str]) -> str:
    """One figure per tool and workload: tools down, workloads across."""
    names = [w.name for w in results.workloads]
    rows = [[f"`{t.label}`", *(cell(results, t, n, what) for n in names)] for t in results.tools]
    return table(["tool", *(f"{n} ({unit})" for n in names)], rows)


def seconds_table(results: Results) -> str:
    """Median wall time, tools by workloads."""
    return tools_table(results, "s", lambda m: f"{m.median_seconds:.3f}")


def memory_table(results: Results) -> str:
    """Peak RSS in MiB, tools by workloads."""
    return tools_table(results, "MiB", lambda m: f"{m.max_rss_kib / MIB:.1f}")


def ratio(results: Results, top: str, bottom: str, workload: str) -> float | None:
    """Median of ``top`` over median of ``bottom`` on ``workload``, if both ran."""
    a = results.measures.get((top, workload))
    b = results.measures.get((bottom, workload))
    return a.median_seconds / b.median_seconds if a and b else None


def shown(value: float | None) -> str:
    """A measured value as the tables show it (n/a when unmeasured)."""
    if value is None:
        return "n/a"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


RATIO_TARGETS = {"W1": 2.0, "W2": 1.3, "W3": None, "W4": 1.2, "W5": 2.0, "W6": None}
"""The project's aim for txtest's time over cram's, per workload (None: no aim)."""
RSS_TARGET_MIB = 100.0
SPEEDUP_TARGET = 1.6
W6_LINES_PER_SECOND_TARGET = 100_000


def ratios_table(results: Results) -> str:
    """txtest's time against cram's and prysk's, its memory, and what `-j 2` gains."""
    rows = []
    for w in results.workloads:
        target = RATIO_TARGETS[w.name]
        rows.append(
            [
                f"{w.name} time, txtest / cram",
                shown(ratio(results, "txtest", "cram", w.name)),
                "—" if target is None else f"≤ {target}",
                shown(ratio(results, "txtest", "prysk", w.name)),
            ]
        )
    if any(w.name == "W4" for w in results.workloads):
        m = results.measures.get(("txtest", "W4"))
        rss = shown(m.max_rss_kib / MIB if m else None)
        rows.append(["W4 txtest peak RSS (MiB)", rss, f"≤ {RSS_TARGET_MIB:.0f}", ""])
    if any(w.name == "W6" for w in results.workloads):
        rate = w6_lines_per_second(results)
        target = f"≥ {W6_LINES_PER_SECOND_TARGET}"
        rate_shown = "n/a" if rate is None else f"{rate:.0f}"
        rows.append(["W6 txtest lines per second, whole run", rate_shown, target, ""])
    if results.flood is not None:
        seconds, peak = results.flood.seconds, results.flood.max_rss_kib / MIB
        rows.append(
            [
                "`yes` under `--timeout 2`: seconds, txtest peak RSS (MiB)",
                f"{seconds:.1f}, {peak:.0f}",
                f"≤ {FLOOD_RSS_TARGET_MIB} MiB",
                "",
            ]
        )
    if any(w.name == "W3" for w in results.workloads):
        speedup = shown(ratio(results, "txtest", "txtest -j 2", "W3"))
        rows.append(["W3 speedup, `-j 1` / `-j 2`", speedup, f"≥ {SPEEDUP_TARGET}", ""])
        ceiling = shown(ratio(results, "txtest", HALVES, "W3"))
        rows.append([f"W3 speedup, `-j 1` / `{HALVES}`", ceiling, "—", ""])
    if any(w.name == "W2" for w in results.workloads):
        locale_cost = shown(ratio(results, UTF8_BASH, C_BASH, "W2"))
        rows.append([f"W2 time, `{UTF8_BASH}` / `{C_BASH}`", locale_cost, "—", ""])
    return table(["comparison", "measured", "project's target", "txtest / prysk"], rows)


def missed_targets(results: Results) -> list[str]:
    """The ratios that miss the project's targets: told to whoever runs the bench, not
    written into the page."""
    missed = []
    for w in results.workloads:
        value, target = ratio(results, "txtest", "cram", w.name), RATIO_TARGETS[w.name]
        if value is not None and target is not None and value > target:
            missed.append(f"{w.name} txtest / cram {value:.2f} > target {target}")
    m = results.measures.get(("txtest", "W4"))
    if m and m.max_rss_kib / MIB > RSS_TARGET_MIB:
        missed.append(f"W4 peak RSS {m.max_rss_kib / MIB:.1f} MiB > target {RSS_TARGET_MIB}")
    speedup = ratio(results, "txtest", "txtest -j 2", "W3")
    if speedup is not None and speedup < SPEEDUP_TARGET:
        missed.append(f"W3 -j 2 speedup {speedup:.2f} < target {SPEEDUP_TARGET}")
    rate = w6_lines_per_second(results)
    if rate is not None and rate < W6_LINES_PER_SECOND_TARGET:
        missed.append(f"W6 {rate:.0f} lines/s < target {W6_LINES_PER_SECOND_TARGET}")
    flood = results.flood
    if flood is not None and flood.max_rss_kib / MIB > FLOOD_RSS_TARGET_MIB:
        missed.append(f"yes peak RSS {flood.max_rss_kib / MIB:.1f} MiB > {FLOOD_RSS_TARGET_MIB}")
    return missed


def w6_lines_per_second(results: Results) -> float | None:
    """W6's lines over txtest's whole run time, if it ran."""
    m = results.measures.get(("txtest", "W6"))
    return W6_LINES / m.median_seconds if m else None


def workload_table(results: Results) -> str:
    """What each workload is, and how many timed repetitions it got."""
    rows = [
        [w.name, w.title, str(len(w.documents)), str(results.repeats[w.name])]
        for w in results.workloads
    ]
    return table(["workload", "what", "documents", "repetitions"], rows)


METHOD = """\
- Each workload is generated into a fresh temporary directory in three
  equivalent forms with identical expected output: Markdown for txtest (every
  command in its own console block, one block per command), a cram `.t` file
  (one contiguous transcript) for cram and prysk, and a plain bash script
  (`set -e`, output sent to `/dev/null`) for bash alone. For W3, bash runs a
  driver script that starts one `bash` per document, as the tools start one
  shell per document.
- Commands: `txtest FILES` (W3 also `txtest -j 2 FILES`), with txtest
  installed from this checkout into `.bench/venv` as users install it (a
  regular, byte-compiled install, not the editable one of `.venv`),
  `cram --shell=/bin/bash FILES`, `prysk --shell=/bin/bash FILES`,
  `bash SCRIPT`; working directory = the workload's directory, stdin
  `/dev/null`, stdout and stderr discarded while timing. Each tool sets its
  own environment: txtest `LC_ALL=C.UTF-8` (as in its sessions), cram and prysk
  `LANG=C`; bash alone runs once with `LC_ALL=C` and once with
  `LC_ALL=C.UTF-8`. A UTF-8 locale makes every external program start
  slower (glibc loads a dozen locale files), which shows in W2: the two bash
  rows give its cost apart from any tool.
- W3 also times two `txtest` processes started at once, each on half of the
  documents: the most a second worker could bring on this machine, since it
  splits the work at no cost (but pays a second start-up).
- W6 is rendering: its command prints green lines (`\\e[32mline N\\e[0m`),
  and the Markdown expects the text a terminal shows (`line N`), which
  txtest's default `auto` mode compares after rendering. cram and prysk
  cannot render, so their `.t` file expects the lines as printed, written
  as cram's `(esc)` lines: their row is what checking the same output costs
  a cram user, not a rendering. Lines per second are over txtest's whole
  run (start-up, session, rendering, matching), so rendering itself is
  faster than the figure shown.
- Before timing, each (tool, workload) is run once and must exit 0 (bash's
  output must also equal the expected output); this run is the warm-up and is
  not counted.
- Timing: whole-process wall time of N repetitions per workload, from spawn
  to reap of the tool's process (`time.perf_counter` in a small launcher
  process that does nothing else); in each repetition every tool runs once,
  the order rotating from one repetition to the next so that machine noise
  falls on all tools alike. Reported: the median. N is 7 when the slowest tool
  took under 2 s in the check run, 5 under 10 s, else 3 (`--repeat`
  overrides; `--quick` uses 1).
- Memory: `ru_maxrss` from `os.wait4` on the tool's process, the largest over
  the repetitions. On Linux this is the peak resident set of that process or
  of a descendant it reaped (for the three tools, the Python interpreter
  itself; for bash alone, bash or `seq`). A spawned process starts from the
  peak of the process that spawned it, hence the launcher is a bare
  `python -I -S`: `true` measured the same way shows the floor, below.
"""


STARTUP = (
    ("the interpreter alone: `python -c pass`", "pass"),
    ("`import cram` (all of cram)", "import cram"),
    (
        "`import click, pexpect` (the libraries txtest needs before it reads a document)",
        "import click, pexpect",
    ),
    ("`import txtest.cli` (all txtest needs before it reads a document)", "import txtest.cli"),
    (
        "the same, ended with `os._exit` as txtest ends (no interpreter tear-down)",
        "import txtest.cli, os; os._exit(0)",
    ),
    (
        "the same with markdown-it's parser made (what the quick reader spares)",
        "import txtest.cli, os; from markdown_it import MarkdownIt;"
        " MarkdownIt('commonmark'); os._exit(0)",
    ),
    ("`from txtest import Shell` (the Python API)", "from txtest import Shell"),
)


FLOOD_RSS_TARGET_MIB = 3 * 64
"""Peak RSS (MiB) allowed while an endless writer fills the default 64 MiB --max-output."""


def measure_flood(root: Path) -> Sample:
    """txtest on `yes` under `--timeout 2`: it must end early, its memory bounded."""
    document = root / "flood.md"
    document.write_text("```console\n$ yes\n```\n", encoding="utf-8")
    return run_timed([str(TXTEST), "-q", "--timeout", "2", str(document)], root)


def measure_startup(python: Path, repeat: int) -> list[tuple[str, float]]:
    """Median wall time of interpreter starts: where a one-command run's time goes.

    `-I` keeps the current directory off sys.path, so that the installed txtest
    is imported, not this checkout's sources (which this environment's
    PYTHONDONTWRITEBYTECODE would make Python compile on every start).
    """
    rows: list[tuple[str, float]] = []
    for label, code in STARTUP:
        argv = [str(python), "-I", "-c", code]
        samples = [run_timed(argv, REPO).seconds for _ in range(repeat)]
        rows.append((label, statistics.median(samples)))
    return rows


def startup_table(results: Results) -> str:
    rows = [[label, f"{seconds * 1000:.0f}"] for label, seconds in results.startup]
    return table(["start-up of the bench venv's Python", "median (ms)"], rows)


def render_report(results: Results) -> str:
    """docs/performance.md: plain Markdown tables, no console blocks."""
    machine = table(["what", "value"], [[k, v] for k, v in results.machine])
    return (
        "# Performance\n\n"
        "How long txtest takes to check documents, next to cram, prysk and bash running"
        " the same commands, and how much memory it needs. The figures come from one"
        " run of `make bench` (the script `bench/run.py` in the repository), on the"
        " machine described below; run it to measure yours.\n\n"
        f"Date: {results.date}\n\n"
        f"## Machine\n\n{machine}\n"
        f"## Method\n\n{METHOD}\n"
        f"## Workloads\n\n{workload_table(results)}\n"
        f"## Wall time, median seconds\n\n{seconds_table(results)}\n"
        f"## Ratios\n\n{ratios_table(results)}\n"
        "A time ratio below 1 means txtest is faster. n/a: the tool was not run. The"
        " targets are what the project aims for; a run on a busy machine can miss them.\n\n"
        f"{w2_budget(results)}"
        f"## Peak memory (RSS), MiB\n\n{memory_table(results)}\n"
        f"Floor: `true` measured the same way peaks at {results.floor_kib / MIB:.1f} MiB.\n\n"
        f"## Start-up\n\n{startup_table(results)}\n{STARTUP_NOTE}"
    )


def w2_budget(results: Results) -> str:
    """Where W2's time goes: the programs themselves, in txtest's locale, and the rest."""
    txtest = results.measures.get(("txtest", "W2"))
    utf8 = results.measures.get((UTF8_BASH, "W2"))
    libraries = dict(results.startup).get(STARTUP[2][0])
    if not (txtest and utf8 and libraries):
        return ""
    return (
        f"Of txtest's {txtest.median_seconds * 1000:.0f} ms on W2, bash alone takes"
        f" {utf8.median_seconds * 1000:.0f} ms to run the same 200 programs in the"
        " `C.UTF-8` locale that txtest's sessions use (a UTF-8 locale makes each program"
        " start slower than cram's `C`); starting Python and importing click and pexpect"
        f" take {libraries * 1000:.0f} ms (start-up, below); the rest goes to txtest's own"
        " modules, reading the document and 200 prompts on a pseudo-terminal.\n\n"
    )


STARTUP_NOTE = """\
W5 (one command) is almost all start-up, and start-up weighs on W1, W2 and
W3 too: compare the rows above with cram's W5 time. txtest imports click
and pexpect before it reads a document (markdown-it-py only for documents
its own quick reader cannot take), and its own modules and bash's start add
to that. `from txtest import Shell` loads the engine only with the first
Shell, so the import stays within 40 ms of the interpreter alone. Two rows
show what two start-up choices still buy: txtest leaves with `os._exit` once
every file is written and every process reaped, skipping the interpreter's
tear-down; and a simple document is read without markdown-it.

The quick reader takes documents whose lines outside fences are headings,
paragraphs and blank lines; W4's 200,000 expected lines are read by it. A
document with a list, a block quote or indented code goes to markdown-it
whole, which reads every line in Python: measured here, 200,000 expected
lines in such a document take about 0.2 s more than in a simple one.

Reading the `-j` rows: a `-j 1` run already keeps more than one core busy
(bash runs beside Python, as commands are queued ahead of it), so a second
worker has less than a core to gain, and the start-up does not shrink. The
"half each" row splits the documents between two whole processes with no
coordination at all; `-j 2` cannot beat it by more than one start-up. The
machine row "two CPU-bound Python processes at once" shows how much of a
second core this machine gives at the time of the run.
"""


# --- command line ------------------------------------------------------------


def progress(message: str) -> None:
    """A progress line on stderr, so stdout holds only the results."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_list(text: str, known: Sequence[str], what: str) -> tuple[str, ...]:
    """Split a comma-separated option value and check every item is known."""
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    unknown = [item for item in items if item not in known]
    if unknown or not items:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}"
        )
    return items


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    names = ("W1", "W2", "W3", "W4", "W5", "W6")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one timed repetition (smoke test)")
    parser.add_argument("--repeat", type=int, metavar="N", help="timed repetitions per workload")
    parser.add_argument("--out", type=Path, metavar="PATH", default=DEFAULT_OUT, help="report path")
    parser.add_argument(
        "--only",
        type=lambda s: parse_list(s, names, "workload"),
        default=names,
        help="workloads, e.g. W1,W4",
    )
    parser.add_argument(
        "--tools",
        type=lambda s: parse_list(s, TOOL_GROUPS, "tool"),
        default=TOOL_GROUPS,
        help="tools, e.g. cram,prysk,bash",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; write the report; print it."""
    args = parse_args(argv)
    groups: tuple[str, ...] = args.tools
    needs_venv = bool({"cram", "prysk", "txtest"} & set(groups))
    bench_bin = ensure_bench_venv(BENCH_VENV) if needs_venv else BENCH_VENV / "bin"
    if "txtest" in groups and not TXTEST.exists():
        sys.exit(f"bench: {TXTEST} not found; run `make` first or pass --tools cram,prysk,bash")
    tools = tuple(t for t in build_tools(bench_bin) if t.group in groups)
    workloads = tuple(w for w in build_workloads() if w.name in args.only)
    measures: dict[tuple[str, str], Measure] = {}
    repeats: dict[str, int] = {}
    load_before = load_average()
    tmp = Path(tempfile.mkdtemp(prefix="txtest-bench-"))
    try:
        for workload in workloads:
            by_tool, repeats[workload.name] = measure_workload(
                workload, tools, tmp, args.repeat, args.quick
            )
            measures.update({(label, workload.name): m for label, m in by_tool.items()})
        flood = measure_flood(tmp) if "txtest" in groups else None
    except BenchError as error:
        progress(f"{error}\n  (the workload files are kept in {tmp})")
        return 1
    shutil.rmtree(tmp)
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = describe_machine(bench_bin, groups, load_before)
    floor = run_timed(["true"], REPO).max_rss_kib
    startup = (
        measure_startup(bench_bin / "python", 9 if not args.quick else 1) if needs_venv else []
    )
    results = Results(date, machine, workloads, tools, measures, repeats, floor, startup, flood)
    report = render_report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    for line in missed_targets(results):
        progress(f"missed: {line}")
    progress(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
