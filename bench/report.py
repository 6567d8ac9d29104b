"""The benchmark's targets, its markdown table and its JSON.

results = Results(...)
checks = check_targets(results)       # [Check("time to chat, warm", 0.27, 0.30, True), ...]
print(markdown_table(results, checks))
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from .proxyload import Run, percentile

MB = 1_000_000


@dataclass
class Timings:
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)

    def stat(self, kind: str, how: str) -> float:
        values = getattr(self, kind)
        return min(values) if how == "min" else statistics.median(values)


@dataclass
class Results:
    chat: dict[str, Timings]  # "ours", "stock", "plain"
    events_ready: Timings  # ours
    handling: dict[str, list[float]]  # "ours", "plain": ms per event
    proxy: dict[str, dict[str, Run]]  # "loaded"|"single" → "proxy"|"direct"
    transfer: dict[str, dict]  # page → {"requests", "wire_bytes", "body_bytes", "by_url"}
    params: dict
    machine: dict
    milestones: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # warm marks

    def ratio(self, kind: str, how: str = "median", ours: Timings | None = None) -> float:
        return (ours or self.chat["ours"]).stat(kind, how) / self.chat["stock"].stat(kind, how)

    def added_ms(self, load: str, q: float) -> float:
        runs = self.proxy[load]
        return percentile(runs["proxy"].latencies_ms, q) - percentile(
            runs["direct"].latencies_ms, q
        )


@dataclass
class Check:
    name: str
    value: float
    limit: float
    unit: str

    @property
    def passed(self) -> bool:
        return self.value <= self.limit if self.unit != "≥" else self.value >= self.limit

    def describe(self) -> str:
        if self.unit == "≥":
            return f"{self.value:.2f} ≥ {self.limit:g}"
        return f"{self.value:.2f} {self.unit} ≤ {self.limit:g} {self.unit}".replace("  ", " ")


def check_targets(r: Results) -> list[Check]:
    ours_p99 = percentile(r.handling["ours"], 99)
    plain_p99 = percentile(r.handling["plain"], 99)
    loaded = r.proxy["loaded"]
    return [
        Check("time to chat, warm (× stock floor, median)", r.ratio("warm"), 0.30, "×"),
        Check("time to chat, cold (× stock floor, median)", r.ratio("cold"), 0.60, "×"),
        Check(
            "events ready, warm (× stock floor's chat, median)",
            r.ratio("warm", ours=r.events_ready),
            0.50,
            "×",
        ),
        Check("event handling p99 (ms)", ours_p99, 20, "ms"),
        Check("event handling p99 (× plain JS p99)", ours_p99 / plain_p99, 3, "×"),
        Check(
            "proxy throughput (× direct)",
            loaded["proxy"].per_second / loaded["direct"].per_second,
            0.8,
            "≥",
        ),
        Check("proxy added p50, one at a time (ms)", r.added_ms("single", 50), 1, "ms"),
        Check("cold load bytes on the wire (MB)", r.transfer["ours"]["wire_bytes"] / MB, 6, "MB"),
    ]


def _bytes(value: int) -> str:
    return f"{value / MB:.2f} MB" if value >= 100_000 else f"{value / 1000:.1f} kB"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def markdown_table(r: Results, checks: list[Check]) -> str:
    chat, ev = r.chat, r.events_ready
    rows = [
        "| measure | ours | stock PyScript floor | plain JS | ours ÷ floor |",
        "|---|---|---|---|---|",
    ]
    for kind in ("warm", "cold"):
        for how in ("median", "min"):
            rows.append(
                f"| time to chat, {kind} ({how}) | {_ms(chat['ours'].stat(kind, how))} "
                f"| {_ms(chat['stock'].stat(kind, how))} | {_ms(chat['plain'].stat(kind, how))} "
                f"| {r.ratio(kind, how):.2f} |"
            )
    for kind in ("warm", "cold"):
        rows.append(
            f"| events ready, {kind} (median) | {_ms(ev.stat(kind, 'median'))} | — | — "
            f"| {r.ratio(kind, ours=ev):.2f} |"
        )
    for q in (50, 99):
        rows.append(
            f"| event handling p{q} | {_ms(percentile(r.handling['ours'], q))} | — "
            f"| {_ms(percentile(r.handling['plain'], q))} | — |"
        )
    rows.append(  # one sample each, but the one a user meets: a page handles few events
        f"| event handling, first event | {_ms(r.handling['ours'][0])} | — "
        f"| {_ms(r.handling['plain'][0])} | — |"
    )
    t = r.transfer
    for key, label in (("wire_bytes", "on the wire"), ("body_bytes", "decoded")):
        rows.append(
            f"| cold load, bytes {label} | {_bytes(t['ours'][key])} | {_bytes(t['stock'][key])} "
            f"| {_bytes(t['plain'][key])} | {t['ours'][key] / t['stock'][key]:.2f} |"
        )
    if r.milestones:
        rows += ["", milestones_table(r).rstrip("\n")]
    loaded = r.proxy["loaded"]
    concurrency = r.params["concurrency"]
    rows += [
        "",
        "| link requests | through the proxy | straight to the sandbox | added by the proxy |",
        "|---|---|---|---|",
        f"| per second, {concurrency} concurrent | {loaded['proxy'].per_second:,.0f} "
        f"| {loaded['direct'].per_second:,.0f} "
        f"| ×{loaded['proxy'].per_second / loaded['direct'].per_second:.2f} |",
    ]
    for name, load in (("one at a time", "single"), (f"{concurrency} concurrent", "loaded")):
        for q in (50, 99):
            runs = r.proxy[load]
            rows.append(
                f"| p{q} latency, {name} | {_ms(percentile(runs['proxy'].latencies_ms, q))} "
                f"| {_ms(percentile(runs['direct'].latencies_ms, q))} "
                f"| {r.added_ms(load, q):+.2f} ms |"
            )
    rows += ["", "| target | value | result |", "|---|---|---|"]
    rows += [f"| {c.name} | {c.describe()} | {'PASS' if c.passed else 'FAIL'} |" for c in checks]
    m, p = r.machine, r.params
    load = f"{m['load_before'][0]:.1f} → {m['load_after'][0]:.1f}"
    rows += [
        "",
        f"_One `make bench` run, {m['when']}: {m['cpus']} cores, Chromium {m['chromium']}, "
        f"load average {load}. Page times: {p['reps']} loads each in a fresh browser profile, "
        f"warm = a reload {p['settle_s']:g} s after the first load; event handling: "
        f"{p['events']} events one at a time; proxy: {p['requests']} requests._",
    ]
    if m.get("renderer_crashes"):
        rows[-1] = rows[-1][:-1] + (
            f"; Chromium's renderer crashed {m['renderer_crashes']} time(s), each load done again._"
        )
    return "\n".join(rows) + "\n"


# Where a warm load's time goes: the marks the pages record, in the order they come.
MILESTONES = (
    ("bench:python-ready", "Python ready (PyScript's py:ready)"),
    ("chat-src-set", "chat iframe set"),
    ("packages-loaded", "pydantic's wheels installed"),
    ("app-imported", "the page's modules imported"),
    ("events-ready", "events ready"),
)


def milestone_medians(r: Results) -> dict[str, dict[str, float]]:
    """{page: {mark: median ms from navigation start}} over the warm loads that have it."""
    return {
        page: {
            mark: statistics.median(found)
            for mark, _ in MILESTONES
            if (found := [marks[mark] for marks in loads if mark in marks])
        }
        for page, loads in r.milestones.items()
    }


def milestones_table(r: Results) -> str:
    medians = milestone_medians(r)
    rows = [
        "| warm load, median ms from navigation start | ours | stock PyScript floor |",
        "|---|---|---|",
    ]
    for mark, label in MILESTONES:
        ours, stock = (medians.get(page, {}).get(mark) for page in ("ours", "stock"))
        cells = [_ms(value) if value is not None else "—" for value in (ours, stock)]
        rows.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows) + "\n"


def to_json(r: Results, checks: list[Check]) -> dict:
    def summary(values: list[float]) -> dict:
        return {
            "min": min(values),
            "median": statistics.median(values),
            "p50": percentile(values, 50),
            "p99": percentile(values, 99),
            "max": max(values),
            "n": len(values),
        }

    return {
        "params": r.params,
        "machine": r.machine,
        "time_to_chat_ms": {page: asdict(t) for page, t in r.chat.items()},
        "events_ready_ms": asdict(r.events_ready),
        "warm_milestones_ms": milestone_medians(r),
        "event_handling_ms": {
            page: {**summary(v), "first": v[0]} for page, v in r.handling.items()
        },
        "proxy": {
            load: {
                name: {
                    "requests": run.requests,
                    "seconds": run.seconds,
                    "per_second": run.per_second,
                    "latency_ms": summary(run.latencies_ms),
                }
                for name, run in runs.items()
            }
            for load, runs in r.proxy.items()
        },
        "cold_transfer": r.transfer,
        "targets": [
            {"name": c.name, "value": c.value, "limit": c.limit, "passed": c.passed} for c in checks
        ],
    }
