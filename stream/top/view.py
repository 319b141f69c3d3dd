"""A dashboard frame: what changed since the last read, laid out for an 80x24 terminal."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from stream.top.scrape import Snapshot, SubjectRow

__all__ = ["Alert", "History", "ViewOptions", "render", "sparkline"]

SortKey = Literal["records", "mean", "share", "name"]
_BARS = "▁▂▃▄▅▆▇█"
_TREND = 12  # points in a sparkline


def sparkline(values: list[float], low: float, high: float) -> str:
    """One character per value, scaled to ``[low, high]``."""
    span = (high - low) or 1.0
    out = []
    for v in values:
        level = round((min(max(v, low), high) - low) / span * (len(_BARS) - 1))
        out.append(_BARS[level])
    return "".join(out)


@dataclass(slots=True)
class Alert:
    """What the alerts topic says of a firing alert (when it can be read)."""

    value: float
    at: str  # event time, ISO


@dataclass(frozen=True, slots=True)
class ViewOptions:
    sort: SortKey = "records"
    prefix: str = ""  # e.g. "ticker:" or "sector:"
    kind: str | None = None  # news | transaction
    height: int = 24


@dataclass
class History:
    """What one snapshot cannot show: rates, trends, how long an alert has fired."""

    previous: Snapshot | None = None
    trends: dict[str, deque[float]] = field(default_factory=dict)
    firing_since: dict[tuple[str, str], float] = field(default_factory=dict)
    alerts: dict[tuple[str, str], Alert] = field(default_factory=dict)  # from the alerts topic
    rate: float | None = None  # scored records per second

    def update(self, snap: Snapshot) -> None:
        if self.previous is not None and snap.at > self.previous.at:
            self.rate = max(0.0, snap.scored - self.previous.scored) / (snap.at - self.previous.at)
        for subject, row in snap.subjects.items():
            if row.pane_mean is not None:
                trend = self.trends.setdefault(subject, deque(maxlen=_TREND))
                trend.append(row.pane_mean)
        now_firing = set(snap.firing)
        for key in now_firing:
            self.firing_since.setdefault(key, snap.at)
        for key in list(self.firing_since):
            if key not in now_firing:
                del self.firing_since[key]
        self.previous = snap


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _share(row: SubjectRow) -> float | None:
    return row.high_risk_share if row.kind == "transaction" else row.negative_share


def _rows(snap: Snapshot, options: ViewOptions) -> list[SubjectRow]:
    rows = [
        r
        for r in snap.subjects.values()
        if r.subject.startswith(options.prefix) and (options.kind in (None, r.kind))
    ]
    keys = {
        "records": lambda r: (-r.records, r.subject),
        "mean": lambda r: (r.mean_score if r.mean_score is not None else 9.0, r.subject),
        "share": lambda r: (-(_share(r) or 0.0), r.subject),
        "name": lambda r: (r.subject,),
    }
    return sorted(rows, key=keys[options.sort])


def _header(snap: Snapshot, history: History, url: str) -> Text:
    """Three lines, each cut (not wrapped) at the terminal's width."""
    model = snap.model.get("version", "?")
    provider = snap.model.get("provider", "?").replace("ExecutionProvider", "")
    rate = "-" if history.rate is None else f"{history.rate:,.0f}/s"
    dead = sum(snap.rejected.values())
    ranked = [(k, v) for k, v in sorted(snap.rejected.items(), key=lambda kv: -kv[1]) if v]
    reasons = ", ".join(f"{k} {v:.0f}" for k, v in ranked[:3]) + (", …" if len(ranked) > 3 else "")
    head = Text.assemble(
        ("finsentry top ", "bold"),
        (f"{url}  ", "dim"),
        (time.strftime("%H:%M:%S", time.localtime(snap.at)), "dim"),
        no_wrap=True,
        overflow="ellipsis",
    )
    head.append(
        f"\nscored {snap.scored:,.0f} ({rate}) · lag {snap.lag:,.0f} · batches in flight "
        f"{snap.batches_in_flight:.0f} · model {model} ({provider})"
    )
    head.append(f"\ndead letters {dead:,.0f}" + (f" ({reasons})" if reasons else ""))
    return head


def _alerts(snap: Snapshot, history: History, limit: int) -> RenderableType:
    if not snap.firing:
        return Text("no alert firing", style="green")
    lines = Text()
    for rule, subject in sorted(snap.firing)[:limit]:
        since = history.firing_since.get((rule, subject), snap.at)
        detail = history.alerts.get((rule, subject))
        value = f"value {detail.value:.2f} at {detail.at[11:19]}" if detail else ""
        lines.append("FIRING ", style="bold red")
        lines.append(f"{rule} on {subject}  for {_age(snap.at - since)}  {value}\n")
    if len(snap.firing) > limit:
        lines.append(f"... and {len(snap.firing) - limit} more\n", style="dim")
    lines.rstrip()
    return lines


def render(snap: Snapshot, history: History, options: ViewOptions, url: str) -> RenderableType:
    """One frame: header (3 lines), firing alerts, then as many subjects as fit."""
    alert_lines = min(max(len(snap.firing), 1), 5) + (1 if len(snap.firing) > 5 else 0)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, expand=True, pad_edge=False, padding=(0, 1))
    table.add_column("subject", overflow="ellipsis", no_wrap=True, ratio=3)
    table.add_column("15m n", justify="right", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("trend (1-min panes)", no_wrap=True)
    table.add_column("neg/risk", justify="right", no_wrap=True)
    room = max(1, options.height - 3 - alert_lines - 3)  # table head and rule, caption
    rows = _rows(snap, options)
    for row in rows[:room]:
        low = 0.0 if row.kind == "transaction" else -1.0
        trend = sparkline(list(history.trends.get(row.subject, ())), low, 1.0)
        share = _share(row)
        firing = any(subject == row.subject for _, subject in snap.firing)
        table.add_row(
            Text(row.subject, style="bold red" if firing else ""),
            f"{row.records:,.0f}",
            "-" if row.mean_score is None else f"{row.mean_score:+.2f}",
            trend,
            "-" if share is None else f"{share:.0%}",
        )
    shown = f"sort {options.sort} · prefix {options.prefix or 'all'} · kind {options.kind or 'all'}"
    more = f" · {len(rows) - room} more" if len(rows) > room else ""
    table.caption = f"{shown}{more} · keys s p k, q quits"
    return Group(_header(snap, history, url), _alerts(snap, history, 5), table)
