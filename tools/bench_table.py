#!/usr/bin/env python3
"""Regenerates the side-by-side tables of docs/benchmarks.md with one command.

Each mode writes markdown with a header naming the machine, the date, the I/O driver
(CORIO_IO) and the load average (the noise) while it ran, and how long it took:

  criterion   runs the criterion benches of benches/ (every corio row next to its tokio,
              tokio-util, futures or async-channel row in one group, one process), then
              reads <target>/criterion/<group>/<bench>/new/{benchmark,estimates}.json and
              writes one row per pair: both medians with their 95 % confidence intervals,
              the ratio corio / other, and the ratio's range from those intervals.
              One block per bench: `criterion <bench>`.
  callgrind   builds benches/op_costs.rs and runs each workload on corio and on tokio under
              valgrind's callgrind with N = 0 and N = its default; (I(N) - I(0)) / N is the
              instruction count of one operation, start-up cancelled out. Load-independent:
              the figure to trust on a shared machine. Block `callgrind`, ending with the
              list of misses (ratio above 0.80).
  echo        benches/echo_bench.rs: corio (epoll), corio-uring and tokio echo servers
              driven by the same client, alternating per round; medians of the rounds,
              the per-round ratio range. Block `echo`.
  wrk         benches/axum_bench.rs: the axum JSON route on corio and on tokio, server
              pinned to CPU 0 and `wrk -t1` to CPU 1, alternating rounds; req/s, server
              CPU per request, paired per-round ratios. Block `wrk axum` (`wrk axum
              uring` with --io uring: the corio server on io_uring).
  idle        benches/idle_memory.rs: RSS growth per idle task, each case in its own
              process. Block `idle-memory`.
  http-client benches/http_client_bench.rs: corio-http vs reqwest against a local nginx
              (needs Debian's nginx). Block `http-client`.
  redis       redis-benchmark SET/GET (plain and -P 16) against apps/redis-server, and
              against Debian's redis-server when installed, alternating. Block `redis`.
  lateness    benches/sleep_lateness.rs: p50/p99/max lateness of sleep(1ms) on the real
              clock, corio and tokio, both flavors. Block `sleep-lateness`.
  all         every mode above, in that order (criterion last: it is the longest).

Usage:
  tools/bench_table.py criterion [--bench timer,sync] [--measurement-time 3] [--filter RE]
  tools/bench_table.py callgrind [--workloads timeout_ready,sleep_polled] [--binary OLD]
                                 [--skip sleep_spread,...] [--jobs 2]
  tools/bench_table.py echo [--secs 2] [--rounds 3] [--conns 1,64,512] [--size 1024,65536]
  tools/bench_table.py wrk [--secs 5] [--rounds 5] [--conns 1,50,256]
  tools/bench_table.py idle [--tasks 1000000]
  tools/bench_table.py http-client
  tools/bench_table.py redis [--requests 100000] [--rounds 3]
  tools/bench_table.py lateness [--sleeps 2000]
  tools/bench_table.py all
Common options:
  --io epoll|uring run every child with CORIO_IO set so (the header states the driver)
  --no-build       use the release binaries already built (echo, wrk, idle, callgrind)
  --out FILE       write the markdown there too (default: stdout only)
  --update FILE    replace each generated block between its markers in FILE, e.g.
                   <!-- bench-table: criterion timer --> ... <!-- /bench-table -->
                   (the first block of that name; blocks without markers in FILE are
                   left alone and reported)
  --no-run         criterion only: tabulate the results already in <target>/criterion

Ratios are corio's time (or instructions) over the other side's: below 1.00 corio is
faster; the issues' target is <= 0.80. For throughput (echo, wrk) the ratio is corio's
rate over tokio's and the target is >= 1.00. The script only reads and formats: a target
is marked met (yes) or not (no) from the median ratio, nothing is rounded in corio's
favour.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.80


_TARGET: Path | None = None


def target_dir() -> Path:
    """Cargo's target directory as cargo itself reports it (a wrapper may remap it)."""
    global _TARGET
    if _TARGET is None:
        meta = sh(["cargo", "metadata", "--no-deps", "--format-version", "1"])
        try:
            _TARGET = Path(json.loads(meta)["target_directory"])
        except (ValueError, KeyError):
            _TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return _TARGET


def example(name: str, args) -> str:
    """The release binary of benches/<name>.rs (an example), built unless --no-build."""
    if not args.no_build:
        print(f"+ cargo build --release -p corio-benches --example {name}", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-p", "corio-benches", "--example",
                        name], cwd=ROOT, check=True, stdout=sys.stderr)
    path = target_dir() / "release" / "examples" / name
    if not path.exists():
        sys.exit(f"bench_table: {path} does not exist (build it, or drop --no-build)")
    if args.no_build:
        reused(path)
    return str(path)


_REUSED: list[str] = []


def reused(path: Path) -> None:
    """Notes a binary the run did not build: the header says when it was built."""
    built = dt.datetime.fromtimestamp(Path(path).stat().st_mtime, dt.timezone.utc)
    _REUSED.append(f"`{Path(path).name}` built {built.strftime('%Y-%m-%d %H:%M UTC')}")


# --------------------------------------------------------------------------- machine


def sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False,
                              cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> str:
    cpu = ""
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    cores = os.cpu_count()
    rustc = sh(["rustc", "--version"]).split(" (")[0]
    return f"{cores} CPU {cpu}, {mem}, Linux {platform.release()}, {rustc}"


def driver() -> str:
    io = os.environ.get("CORIO_IO", "")
    text = f"CORIO_IO={io}" if io else "epoll (default; CORIO_IO unset)"
    # Other runtime knobs in the environment (e.g. CORIO_URING_BUFS) change the figures too.
    knobs = sorted(f"{k}={v}" for k, v in os.environ.items()
                   if k.startswith("CORIO_") and k != "CORIO_IO")
    return text + (f", with {', '.join(knobs)}" if knobs else "")


def commit() -> str:
    """HEAD, and whether the measured code differs from it (docs and this tool do not)."""
    head = sh(["git", "rev-parse", "--short", "HEAD"]) or "?"
    dirty = [line[3:] for line in
             sh(["git", "status", "--porcelain", "--untracked-files=no"]).splitlines()]
    code = [p for p in dirty if not (p.startswith(("docs/", "tools/")) or p.endswith(".md"))]
    return head + (" plus uncommitted changes" if code else "")


def header(kind: str, load_before: str, load_after: str, extra: str = "",
           started: float | None = None) -> str:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    took = f" Took {time.time() - started:.0f} s." if started is not None else ""
    if _REUSED:
        took += (" Binaries reused (--no-build): " + ", ".join(_REUSED)
                 + ".")
        _REUSED.clear()
    lines = [
        f"_Generated by `tools/bench_table.py {kind}`: {now}; commit {commit()}; "
        f"{machine()}; I/O driver {driver()}; load average (1/5/15 min) {load_before} "
        f"before, {load_after} after.{extra}{took}_",
        "",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- criterion


def bench_names() -> list[str]:
    text = (ROOT / "benches" / "Cargo.toml").read_text()
    return re.findall(r'\[\[bench\]\]\s*\nname\s*=\s*"([^"]+)"', text)


def fmt_ns(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.3g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def read_results(since: float | None) -> list[dict]:
    out = []
    base = target_dir() / "criterion"
    for meta in base.glob("**/new/benchmark.json"):
        if since is not None and meta.stat().st_mtime < since:
            continue
        est = meta.with_name("estimates.json")
        if not est.exists():
            continue
        b = json.loads(meta.read_text())
        e = json.loads(est.read_text())["median"]
        ci = e["confidence_interval"]
        out.append(
            {
                "group": b["group_id"],
                "function": b.get("function_id") or "",
                "value": b.get("value_str") or "",
                "id": b["full_id"],
                "median": e["point_estimate"],
                "lo": ci["lower_bound"],
                "hi": ci["upper_bound"],
            }
        )
    return sorted(out, key=lambda r: r["id"])


# `corio-uring`/`corio-epoll` (the fs bench runs corio on each driver) pair with the bare `tokio`.
RUNTIMES = r"(corio(?:-uring|-epoll)?|tokio_util|tokio|futures|async_channel)"


def who(r: dict) -> str:
    """Group and function: the runtime is named in one of them (`echo/corio`, `corio/x`)."""
    return f"{r['group']}/{r['function']}"


def is_corio(r: dict) -> bool:
    return "corio" in who(r) and "debug" not in who(r)


def blank(text: str) -> str:
    return re.sub(RUNTIMES, "*", text)


def side_key(r: dict) -> str:
    """The row's id with the runtime's name blanked, so corio/x pairs with tokio/x."""
    return f"{blank(r['group'])}|{blank(r['function'])}|{r['value']}"


def pairs(rows: list[dict]) -> list[tuple[dict, dict]]:
    out = []
    for c in rows:
        if not is_corio(c):
            continue
        same = [r for r in rows if r is not c and "corio" not in who(r)
                and blank(r["group"]) == blank(c["group"]) and r["value"] == c["value"]]
        exact = [r for r in same if side_key(r) == side_key(c)]
        if exact:
            out.extend((c, o) for o in exact)
            continue
        # Differently named contenders (corio_gather vs tokio_join_all): when the group
        # has one corio row for this parameter, each other row is its contender.
        corio_rows = [r for r in rows if is_corio(r) and blank(r["group"]) ==
                      blank(c["group"]) and r["value"] == c["value"]]
        if len(corio_rows) == 1:
            out.extend((c, o) for o in same)
    return out


# Groups measuring a server's or a copy's throughput: the target there is parity with tokio
# (corio's time ≤ 1.00 × tokio's, i.e. throughput ≥ 1.00 ×), not 0.80.
THROUGHPUT_GROUPS = ("echo/", "hyper_http1/", "copy_bidirectional")


# Issue 18's file target is twice tokio::fs's throughput: half its time.
DOUBLE_THROUGHPUT_GROUPS = ("fs_read_", "fs_write_")


def target_for(group: str) -> float:
    if group.startswith(DOUBLE_THROUGHPUT_GROUPS):
        return 0.5
    return 1.0 if group.startswith(THROUGHPUT_GROUPS) else TARGET_RATIO


def criterion_table(rows: list[dict]) -> str:
    lines = [
        "| group | corio | other | corio median (95 % CI) | other median (95 % CI) "
        "| ratio | ratio range | target met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c, o in pairs(rows):
        ratio = c["median"] / o["median"]
        lo = c["lo"] / o["hi"] if o["hi"] else float("nan")
        hi = c["hi"] / o["lo"] if o["lo"] else float("nan")
        if c["group"] == o["group"]:
            group = c["group"]
            name_c = c["id"][len(c["group"]) + 1:]
            name_o = o["id"][len(o["group"]) + 1:]
        else:  # the runtime is named in the group (`echo/corio` next to `echo/tokio`)
            group, name_c, name_o = blank(c["group"]), c["id"], o["id"]
        target = target_for(c["group"])
        lines.append(
            f"| {group} | {name_c} | {name_o} | {fmt_ns(c['median'])} "
            f"({fmt_ns(c['lo'])}–{fmt_ns(c['hi'])}) | {fmt_ns(o['median'])} "
            f"({fmt_ns(o['lo'])}–{fmt_ns(o['hi'])}) | {ratio:.2f} | {lo:.2f}–{hi:.2f} "
            f"| {'yes' if ratio <= target else 'no'} (≤ {target:.2f}) |"
        )
    return "\n".join(lines)


# Groups left out unless --filter says otherwise: tokio's side of the same-deadline timer
# group takes ~1.7 s per iteration on a quiet machine (minutes per run).
DEFAULT_FILTERS = {"timer": "create_drop|spread|timeout|interval"}


def run_criterion(args) -> list[tuple]:
    benches = args.bench.split(",") if args.bench else bench_names()
    blocks = []
    for bench in benches:
        started = time.time()
        before = loadavg()
        if not args.no_run:
            cmd = ["cargo", "bench", "-p", "corio-benches", "--bench", bench, "--",
                   "--warm-up-time", str(args.warm_up_time),
                   "--measurement-time", str(args.measurement_time)]
            if args.sample_size:
                cmd += ["--sample-size", str(args.sample_size)]
            filt = args.filter or DEFAULT_FILTERS.get(bench)
            if filt:
                cmd.append(filt)
            print("+ " + " ".join(cmd), file=sys.stderr)
            # The bench profile adds debug info (for profilers); without it the benches
            # reuse the release build's dependencies instead of compiling them again.
            env = dict(os.environ)
            env.setdefault("CARGO_PROFILE_BENCH_DEBUG", "false")
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=sys.stderr, env=env)
        after = loadavg()
        rows = read_results(None if args.no_run else started - 1)
        if args.no_run:
            groups = bench_groups(bench)
            rows = [r for r in rows if r["group"] in groups] if groups else rows
        extra = (" Tabulated from the criterion results on disk (--no-run)." if args.no_run
                 else f" Command: `{' '.join(cmd)}`.")
        body = (header(f"criterion {bench}", before, after, extra, started)
                + criterion_table(rows))
        blocks.append((f"criterion {bench}", body))
    return blocks


def bench_groups(bench: str) -> set[str]:
    """The criterion group names a bench file declares (for --no-run)."""
    path = ROOT / "benches" / f"{bench}.rs"
    if not path.exists():
        return set()
    text = path.read_text()
    names = set(re.findall(r'benchmark_group\(\s*"([^"]+)"', text))
    for fmt in re.findall(r'benchmark_group\(\s*format!\(\s*"([^"]+)"', text):
        names.add(fmt)  # a pattern like "timer/{name}": matched by prefix below
    out = set()
    for r in read_results(None):
        for n in names:
            if r["group"] == n or ("{" in n and r["group"].startswith(n.split("{")[0])):
                out.add(r["group"])
    return out


# --------------------------------------------------------------------------- callgrind


def callgrind_total(binary: str, workload: str, side: str, n: int) -> int:
    print(f"+ callgrind {workload} {side} {n}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
             workload, side, str(n)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for line in out.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in callgrind output for {workload} {side}")


def num(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def fmt_ratio(r: float) -> str:
    """Two decimals, or three where two would hide which side of the target it is."""
    two = f"{r:.2f}"
    return f"{r:.3f}" if two == f"{TARGET_RATIO:.2f}" and r != TARGET_RATIO else two


def run_callgrind(args) -> list[tuple]:
    started = time.time()
    if args.binary:
        reused(Path(args.binary))
    binary = args.binary or example("op_costs", args)
    listing = sh([binary, "list"]).splitlines()
    workloads = [line.split("\t") for line in listing if line]
    if args.workloads:
        wanted = args.workloads.split(",")
        workloads = [w for w in workloads if w[0] in wanted]
    skipped = args.skip.split(",") if args.skip else []
    workloads = [w for w in workloads if w[0] not in skipped]
    before = loadavg()
    runs = [(name, side, n) for name, default, _what, _group in workloads
            for side in ("corio", "tokio") for n in (0, int(default))]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        totals = dict(zip(runs, pool.map(lambda r: callgrind_total(binary, *r), runs)))
    rows = []
    for name, n, what, group in workloads:
        n = int(n)
        per = {side: (totals[(name, side, n)] - totals[(name, side, 0)]) / n
               for side in ("corio", "tokio")}
        ratio = per["corio"] / per["tokio"]
        rows.append(
            f"| `{name}` | {what} | `{group}` | {n} | {num(per['corio'])} | "
            f"{num(per['tokio'])} | {fmt_ratio(ratio)} "
            f"| {'yes' if ratio <= TARGET_RATIO else 'no'} |"
        )
    after = loadavg()
    extra = (" Instructions per operation, `(I(N) - I(0)) / N` under "
             "`valgrind --tool=callgrind`, binary `benches/op_costs.rs` (release); "
             "the other side is tokio (tokio-util, or futures on tokio, as the row says).")
    if skipped:
        extra += f" Skipped: {', '.join(skipped)}."
    head = header("callgrind", before, after, extra, started)
    order = [line.split("\t")[0] for line in listing if line]
    partial = bool(args.workloads or args.skip)
    merge = (lambda old: callgrind_merge(old, head, rows, order)) if partial else None
    return [("callgrind", callgrind_body(head, rows), merge)]


CG_HEAD = ("| workload | one operation | criterion group | N | corio instr/op | other instr/op "
           "| ratio | ≤ 0.80 |\n|---|---|---|---|---|---|---|---|")
CG_ROW = re.compile(r"^\| `([^`]+)` \|")


def callgrind_body(head: str, rows: list[str], note: str = "") -> str:
    misses = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if cells[-1] == "no":
            misses.append(f"{cells[0]} {cells[-2]}")
    return (head + note + CG_HEAD + "\n" + "\n".join(rows) + "\n\n"
            + f"Misses (ratio above {TARGET_RATIO:.2f}): "
            + ("; ".join(misses) if misses else "none") + ".")


def callgrind_merge(old: str, head: str, rows: list[str], order: list[str]) -> str:
    """A run over some workloads: its rows replace theirs in the block, the rest stay."""
    new = {CG_ROW.match(r).group(1): r for r in rows}
    kept = {}
    for line in old.splitlines():
        m = CG_ROW.match(line)
        if m and m.group(1) not in new and line.count("|") == CG_HEAD.split("\n")[0].count("|"):
            kept[m.group(1)] = line
    if not kept:
        return callgrind_body(head, rows)
    stamp = re.search(r"_Generated by `[^`]*`: ([^;]*); (commit [^;]*);", old)
    since = f" ({stamp.group(1)}, {stamp.group(2)})" if stamp else ""
    note = (f"_Rows kept from the previous run{since}: "
            + ", ".join(f"`{k}`" for k in kept) + "._\n\n")
    merged = {**kept, **new}
    ordered = [merged[k] for k in order if k in merged]
    ordered += [merged[k] for k in merged if k not in order]
    return callgrind_body(head, ordered, note)


# --------------------------------------------------------------------------- echo


ECHO_LINE = re.compile(
    r"^\s*(\d+) conns\s+(.+?)\s+(\S+): \s*([\d.]+) MB/s\s+([\d.]+) msgs/s\s+"
    r"p50\s+(\S+) us\s+p99\s+(\S+) us")


def median(v: list[float]) -> float:
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def spread(v: list[float]) -> str:
    return f"{min(v):.2f}–{max(v):.2f}" if len(v) > 1 else "—"


def run_bench(cmd: list[str], name: str, timeout: float):
    """Runs one load-generating bench binary, echoing its stderr; exits on a failure or
    when it runs past `timeout` seconds (a stalled server must not hang the script).
    Returns the finished process and the load average before and after."""
    before = loadavg()
    print("+ " + " ".join(cmd), file=sys.stderr)
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        if e.stderr:
            sys.stderr.write(e.stderr if isinstance(e.stderr, str) else e.stderr.decode())
        sys.exit(f"bench_table: {name} did not finish within {timeout:.0f} s (stalled)")
    sys.stderr.write(out.stderr)
    if out.returncode != 0:
        sys.exit(f"bench_table: {name} failed ({out.returncode})")
    return out, before, loadavg()


def run_echo(args) -> list[tuple]:
    started = time.time()
    binary = example("echo_bench", args)
    cmd = [binary, "--secs", str(args.secs or 2), "--rounds", str(args.rounds or 3)]
    if args.conns:
        cmd += ["--conns", args.conns]
    if args.size:
        cmd += ["--size", args.size]
    # 6 points x 3 servers per round; a stalled server must not stall the script.
    out, before, after = run_bench(
        cmd, "echo_bench", 6 * 3 * (args.rounds or 3) * (args.secs or 2) * 4 + 120)
    # (conns, size) -> server -> [msgs/s per round], in run order.
    points: dict[tuple[int, str], dict[str, list[tuple[float, str, str]]]] = {}
    for line in out.stderr.splitlines():
        m = ECHO_LINE.match(line)
        if m:
            conns, size, server, _mb, msgs, p50, p99 = m.groups()
            points.setdefault((int(conns), size), {}).setdefault(server, []).append(
                (float(msgs), p50, p99))
    if not points:
        sys.exit("bench_table: no echo_bench result lines")
    servers = list(next(iter(points.values())).keys())
    others = [s for s in servers if s != "tokio"]
    head = "| conns | msg | " + " | ".join(f"{s} msgs/s" for s in servers)
    head += "".join(f" | {s}/tokio (rounds' range) | ≥ 1.00" for s in others)
    head += " | " + " | ".join(f"{s} p50/p99 µs" for s in servers) + " |"
    lines = [head, "|" + "---|" * (2 + len(servers) + 2 * len(others) + len(servers))]
    for (conns, size), by in points.items():
        row = f"| {conns} | {size} | "
        row += " | ".join(num(median([x[0] for x in by[s]])) for s in servers)
        for s in others:
            if "tokio" in by:
                paired = [a[0] / b[0] for a, b in zip(by[s], by["tokio"]) if b[0]]
                r = median([x[0] for x in by[s]]) / median([x[0] for x in by["tokio"]])
                row += f" | **{r:.2f}** ({spread(paired)}) | {'yes' if r >= 1.0 else 'no'}"
            else:
                row += " | — | —"
        # The latency of the median round.
        for s in servers:
            runs = sorted(by[s])
            mid = runs[len(runs) // 2]
            row += f" | {mid[1]}/{mid[2]}"
        lines.append(row + " |")
    extra = (f" Command: `{' '.join(['echo_bench'] + cmd[1:])}` (benches/echo_bench.rs: "
             "servers in-process, each runtime's default workers; `corio` on epoll, "
             "`corio-uring` on io_uring, client a corio current-thread runtime on epoll; "
             "runs alternate within a round). Medians of the rounds; in parentheses the "
             "range of the per-round ratios.")
    return [("echo", header("echo", before, after, extra, started) + "\n".join(lines))]


# --------------------------------------------------------------------------- wrk

WRK_LINE = re.compile(r"^c=(\d+) (\w+): ([\d.]+) req/s, ([\d.]+) µs CPU/req")


def run_wrk(args) -> list[tuple]:
    started = time.time()
    for tool in ("wrk", "taskset"):
        if not sh(["which", tool]):
            sys.exit(f"bench_table: wrk mode needs `{tool}` on PATH")
    binary = example("axum_bench", args)
    # wrk takes whole seconds (-d0s is refused).
    cmd = [binary, "--secs", str(max(1, round(args.secs or 5))), "--rounds",
           str(args.rounds or 5)]
    if args.conns:
        cmd += ["--conns", args.conns]
    # 3 connection counts x 2 runtimes per round.
    out, before, after = run_bench(
        cmd, "axum_bench", 3 * 2 * (args.rounds or 5) * max(1, round(args.secs or 5)) * 4 + 120)
    points: dict[int, dict[str, list[tuple[float, float]]]] = {}
    for line in out.stderr.splitlines():
        m = WRK_LINE.match(line)
        if m:
            conns, rt, rps, cpu = m.groups()
            points.setdefault(int(conns), {}).setdefault(rt, []).append(
                (float(rps), float(cpu)))
    if not points:
        sys.exit("bench_table: no axum_bench result lines")
    lines = [
        "| connections | corio req/s | tokio req/s | corio / tokio (median) | paired ratios "
        "per round | ≥ 1.00 | corio CPU µs/req | tokio CPU µs/req |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for conns, by in points.items():
        c, t = by.get("corio", []), by.get("tokio", [])
        if not c or not t:
            continue
        c_rps, t_rps = median([x[0] for x in c]), median([x[0] for x in t])
        paired = ", ".join(f"{a[0] / b[0]:.2f}" for a, b in zip(c, t))
        ratio = c_rps / t_rps
        lines.append(
            f"| {conns} | {num(c_rps)} | {num(t_rps)} | **{ratio:.2f}** | {paired} "
            f"| {'yes' if ratio >= 1.0 else 'no'} | {median([x[1] for x in c]):.1f} "
            f"| {median([x[1] for x in t]):.1f} |")
    extra = (f" Command: `{' '.join(['axum_bench'] + cmd[1:])}` (benches/axum_bench.rs: "
             "the axum JSON route, one server worker thread pinned to CPU 0, "
             "`wrk -t1` pinned to CPU 1, runtimes alternating within each round; CPU per "
             "request is the server's user+system time over wrk's requests). Medians of "
             "the rounds.")
    # One block per driver: the corio server runs on io_uring when CORIO_IO=uring.
    name = "wrk axum uring" if os.environ.get("CORIO_IO") == "uring" else "wrk axum"
    return [(name, header("wrk", before, after, extra, started) + "\n".join(lines))]


# --------------------------------------------------------------------------- HTTP client


def run_http_client(args) -> list[tuple]:
    started = time.time()
    if not sh(["which", "nginx"]) and not Path("/usr/sbin/nginx").exists():
        sys.exit("bench_table: http-client mode needs Debian's nginx")
    binary = example("http_client_bench", args)
    out, before, after = run_bench([binary], "http_client_bench", 900)
    table = [line for line in out.stdout.splitlines() if line.startswith("|")]
    if len(table) < 3:
        sys.exit(f"bench_table: http_client_bench printed no table:\n{out.stdout}")
    extra = (" Command: `http_client_bench` (benches/http_client_bench.rs: corio-http and "
             "reqwest on tokio against a local nginx over TLS, 1 KiB bodies, each on a "
             "2-worker runtime; requests/s the best of 5 alternating runs, CPU per request "
             "the client's worker threads summed over the runs; ratio ≥ 1.00 is the "
             "target).")
    return [("http-client", header("http-client", before, after, extra, started)
             + "\n".join(table))]


# --------------------------------------------------------------------------- sleep lateness

LATE_LINE = re.compile(r"^(corio|tokio) (\S+(?: \(\d+\))?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$")


def run_lateness(args) -> list[tuple]:
    started = time.time()
    binary = example("sleep_lateness", args)
    n = str(args.sleeps)
    before = loadavg()
    print(f"+ {binary} {n}", file=sys.stderr)
    out = subprocess.run([binary, n], cwd=ROOT, capture_output=True, text=True, check=True)
    after = loadavg()
    lines = ["| runtime | flavor | p50 µs | p99 µs | max µs |", "|---|---|---|---|---|"]
    for line in out.stdout.splitlines():
        m = LATE_LINE.match(line.strip())
        if m:
            rt, flavor, p50, p99, mx = m.groups()
            lines.append(f"| {rt} | {flavor.replace('_', '-')} | {float(p50):.0f} "
                         f"| {float(p99):.0f} | {float(mx):.0f} |")
    if len(lines) < 6:
        sys.exit(f"bench_table: sleep_lateness printed:\n{out.stdout}")
    extra = (f" `sleep_lateness {n}` (benches/sleep_lateness.rs): {n} sequential "
             "`sleep(1ms)` in a spawned task; lateness = elapsed − 1 ms on the real clock. "
             "Depends on the load: compare the rows of one run.")
    return [("sleep-lateness", header("lateness", before, after, extra, started)
             + "\n".join(lines))]


# --------------------------------------------------------------------------- redis

DEBIAN_REDIS = "/usr/bin/redis-server"


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(cmd: list[str], port: int) -> subprocess.Popen:
    import socket
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"bench_table: {' '.join(cmd)} did not listen on {port}")


def redis_benchmark(port: int, requests: int, pipeline: int) -> dict[str, float]:
    cmd = ["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", str(requests),
           "-c", "50", "-P", str(pipeline), "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = {}
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) > 1 and cells[0] in ("SET", "GET"):
            rps[cells[0]] = float(cells[1])
    if len(rps) != 2:
        sys.exit(f"bench_table: redis-benchmark printed:\n{out}")
    return rps


def run_redis(args) -> list[tuple]:
    started = time.time()
    if not sh(["which", "redis-benchmark"]):
        sys.exit("bench_table: redis mode needs redis-benchmark (Debian's redis-tools)")
    if not args.no_build:
        print("+ cargo build --release -p redis-server", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-p", "redis-server"], cwd=ROOT,
                       check=True, stdout=sys.stderr)
    corio_bin = target_dir() / "release" / "redis-server"
    if args.no_build:
        reused(corio_bin)
    servers = {"corio": lambda port: [str(corio_bin), "--port", str(port)]}
    if Path(DEBIAN_REDIS).exists():
        servers["redis-server"] = lambda port: [DEBIAN_REDIS, "--port", str(port), "--save",
                                                 "", "--appendonly", "no"]
    requests, rounds = args.requests, args.rounds or 3
    before = loadavg()
    # (pipeline, test) -> server -> [req/s per round]
    got: dict[tuple[int, str], dict[str, list[float]]] = {}
    for pipeline in (1, 16):
        for rnd in range(rounds):
            order = list(servers) if rnd % 2 == 0 else list(reversed(servers))
            for name in order:
                port = free_port()
                proc = start_server(servers[name](port), port)
                try:
                    rps = redis_benchmark(port, requests, pipeline)
                finally:
                    proc.kill()
                    proc.wait()
                print(f"redis P={pipeline} {name}: {rps}", file=sys.stderr)
                for test, v in rps.items():
                    got.setdefault((pipeline, test), {}).setdefault(name, []).append(v)
    after = loadavg()
    other = "redis-server" if "redis-server" in servers else None
    head = "| pipeline | command | corio req/s (rounds) |"
    if other:
        head += " redis-server 7 req/s (rounds) | corio / redis-server (median) |"
    lines = [head, "|---" * head.count(" |") + "|"]
    for (pipeline, test), by in got.items():
        c = by["corio"]
        row = (f"| {'-P ' + str(pipeline) if pipeline > 1 else 'none'} | {test} "
               f"| {num(median(c))} ({', '.join(num(x) for x in c)}) |")
        if other:
            r = by[other]
            row += (f" {num(median(r))} ({', '.join(num(x) for x in r)}) "
                    f"| {median(c) / median(r):.2f} |")
        lines.append(row)
    extra = (f" `redis-benchmark -t set,get -n {requests} -c 50 [-P 16] --csv` (redis-tools) "
             "against the release build of `apps/redis-server` (default workers)"
             + (", and Debian's redis-server (`--save \"\" --appendonly no`) for scale, "
                "alternating" if other else
                "; Debian's redis-server is not installed here, so corio only")
             + f"; a fresh server per run, {rounds} rounds.")
    return [("redis", header("redis", before, after, extra, started) + "\n".join(lines))]


# --------------------------------------------------------------------------- idle memory

IDLE_LINE = re.compile(r"^(\w+)\s+(\w+)\s+(\d+) tasks: RSS \+\s*([\d.]+) MiB =\s*(\d+) "
                       r"bytes/task")


def run_idle(args) -> list[tuple]:
    started = time.time()
    binary = example("idle_memory", args)
    tasks = str(args.tasks)
    before = loadavg()
    per: dict[tuple[str, str], list[int]] = {}
    for _ in range(args.rounds or 1):
        for kind in ("pending", "notify"):
            for rt in ("corio", "tokio"):
                cmd = [binary, rt, kind, tasks]
                print("+ " + " ".join(cmd), file=sys.stderr)
                out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                     check=True)
                m = IDLE_LINE.match(out.stdout.strip())
                if not m:
                    sys.exit(f"bench_table: idle_memory printed {out.stdout!r}")
                per.setdefault((kind, rt), []).append(int(m.group(5)))
    after = loadavg()
    lines = ["| task body | corio bytes/task | tokio bytes/task | ratio | ≤ 0.80 |",
             "|---|---|---|---|---|"]
    bodies = {"pending": "`pending()`", "notify": "waiting on a `Notify`"}
    for kind, body in bodies.items():
        c, t = median(per[(kind, "corio")]), median(per[(kind, "tokio")])
        rng = lambda v: f" ({min(v)}–{max(v)})" if len(v) > 1 else ""  # noqa: E731
        ratio = c / t
        lines.append(f"| {body} | {c:.0f}{rng(per[(kind, 'corio')])} "
                     f"| {t:.0f}{rng(per[(kind, 'tokio')])} | {ratio:.2f} "
                     f"| {'yes' if ratio <= TARGET_RATIO else 'no'} |")
    extra = (f" {tasks} idle tasks on a current-thread runtime, RSS growth per task "
             "(includes the 8-byte `JoinHandle` kept per task), each case in its own "
             f"process: `idle_memory <corio|tokio> <pending|notify> {tasks}`"
             + (f", median of {args.rounds} runs" if (args.rounds or 1) > 1 else "") + ".")
    return [("idle-memory", header("idle", before, after, extra, started)
             + "\n".join(lines))]


# --------------------------------------------------------------------------- output


def update(path: Path, blocks: list[tuple]) -> None:
    text = path.read_text()
    for name, body, *merge in blocks:
        pat = re.compile(
            r"(<!-- bench-table: " + re.escape(name) + r" -->\n)(.*?)(<!-- /bench-table -->)",
            re.S,
        )
        found = len(pat.findall(text))
        if not found:
            print(f"note: no '<!-- bench-table: {name} -->' block in {path}; not written",
                  file=sys.stderr)
            continue
        if found > 1:
            print(f"note: {found} '{name}' blocks in {path}; only the first is written",
                  file=sys.stderr)
        if merge and merge[0]:
            body = merge[0](pat.search(text).group(2))
        text = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text, count=1)
    path.write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kind", choices=["criterion", "callgrind", "echo", "wrk", "idle",
                                     "http-client", "redis", "lateness", "all"])
    p.add_argument("--bench", help="comma-separated bench names (default: all in benches/)")
    p.add_argument("--filter", help="criterion filter (a regex over bench ids)")
    p.add_argument("--warm-up-time", default="1")
    p.add_argument("--measurement-time", default="3")
    p.add_argument("--no-run", action="store_true")
    p.add_argument("--sample-size", type=int, help="criterion samples per function "
                   "(>= 10; groups that set their own keep it)")
    p.add_argument("--workloads", help="comma-separated op_costs workloads (default: all)")
    p.add_argument("--binary", help="an op_costs binary to measure instead of building one")
    p.add_argument("--skip", help="comma-separated op_costs workloads to leave out")
    p.add_argument("--jobs", type=int, default=1, help="callgrind runs at once")
    p.add_argument("--secs", type=float, help="echo/wrk: seconds per run (2 / 5)")
    p.add_argument("--rounds", type=int, help="echo/wrk/idle/redis: rounds (3 / 5 / 1 / 3)")
    p.add_argument("--conns", help="echo/wrk: comma-separated connection counts")
    p.add_argument("--size", help="echo: comma-separated message sizes in bytes")
    p.add_argument("--tasks", type=int, default=1_000_000, help="idle: tasks per process")
    p.add_argument("--sleeps", type=int, default=2000, help="lateness: sleeps per runtime")
    p.add_argument("--requests", type=int, default=100_000,
                   help="redis: requests per redis-benchmark run")
    p.add_argument("--io", choices=["epoll", "uring"], help="CORIO_IO for every child")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--out")
    p.add_argument("--update")
    args = p.parse_args()

    if args.io:
        os.environ["CORIO_IO"] = args.io
    if args.out:
        Path(args.out).write_text("")
    modes = [("callgrind", run_callgrind), ("echo", run_echo), ("wrk", run_wrk),
             ("idle", run_idle), ("http-client", run_http_client), ("redis", run_redis),
             ("lateness", run_lateness),
             ("criterion", run_criterion)]
    # Each mode's blocks are written as soon as they exist, so a failure later in `all`
    # (or an interrupted run) keeps what was measured; in `all`, a failing mode is
    # reported and the next one runs.
    steps = []
    for kind, run in modes:
        if args.kind not in (kind, "all"):
            continue
        if kind == "criterion":
            for bench in (args.bench.split(",") if args.bench else bench_names()):
                steps.append((f"criterion {bench}", run, {"bench": bench}))
        else:
            steps.append((kind, run, {}))
    failed = []
    for name, run, extra in steps:
        step_args = argparse.Namespace(**{**vars(args), **extra})
        try:
            blocks = run(step_args)
        except (subprocess.CalledProcessError, SystemExit) as e:
            if args.kind != "all":
                raise
            print(f"bench_table: {name} failed ({e}); going on", file=sys.stderr)
            failed.append(name)
            continue
        text = "\n\n".join(f"<!-- bench-table: {b[0]} -->\n{b[1]}\n<!-- /bench-table -->"
                            for b in blocks)
        print(text + "\n", flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(text + "\n\n")
        if args.update:
            update(Path(args.update), blocks)
    if failed:
        sys.exit(f"bench_table: failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
