"""``finsentry feedback add | export``: analysts' corrections in, labelled training rows out."""

from __future__ import annotations

import getpass
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from stream.cli.errors import user_errors
from stream.cli.root import app
from stream.errors import InputError
from stream.settings import Settings

console = Console(stderr=True)
feedback = typer.Typer(no_args_is_help=True, help="Analysts' corrections: add, export.")
app.add_typer(feedback, name="feedback")


@feedback.command("add")
@user_errors
def add_cmd(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="the scored record's id")],
    label: Annotated[
        str,
        typer.Argument(
            help="the right class (news: negative, neutral, "
            "positive; transaction: low, medium, high)"
        ),
    ],
    kind: Annotated[str, typer.Option(help="news or transaction")] = "news",
    by: Annotated[str | None, typer.Option(help="who says so (default: your login)")] = None,
    note: Annotated[str | None, typer.Option(help="why, for whoever retrains")] = None,
) -> None:
    """Write one correction to the feedback topic."""
    from stream.kafka.admin import create_topics
    from stream.kafka.produce import produce
    from stream.pipeline.feedback import parse_feedback
    from stream.pipeline.parse import Rejected

    settings: Settings = ctx.obj
    wire = {"id": record_id, "kind": kind, "label": label, "by": by or getpass.getuser(),
            "at": datetime.now(UTC).isoformat()} | ({"note": note} if note else {})  # fmt: skip
    payload = orjson.dumps(wire)
    checked = parse_feedback(payload, _parse_context(settings))
    if isinstance(checked, Rejected):
        msg = f"not sent: {checked.detail}"
        raise InputError(msg)
    topic = settings.kafka.topics.feedback
    create_topics(settings.kafka, [topic])
    produce(settings.kafka, topic, [orjson.dumps(checked.to_wire())])
    console.print(f"sent: {checked.kind} {checked.id} is {checked.label} (by {checked.by})")


def _parse_context(settings: Settings) -> Any:
    from stream.pipeline.parse import ParseContext

    return ParseContext.from_settings(settings, datetime.now(UTC))


def collect_rows(settings: Settings) -> tuple[list[dict[str, Any]], Counter[str], int]:
    """(labelled rows, why the other corrections did not join, invalid corrections): the
    feedback topic joined to the scored topic and the input records (read to their ends)."""
    from stream.kafka.tail import read_messages
    from stream.pipeline.feedback import join_feedback, latest, parse_feedback
    from stream.pipeline.parse import Rejected

    topics = settings.kafka.topics
    parse_ctx = _parse_context(settings)
    parsed = [parse_feedback(raw or b"", parse_ctx) for _, raw in
              read_messages(settings.kafka, topics.feedback)]  # fmt: skip
    corrections = latest(c for c in parsed if not isinstance(c, Rejected))
    invalid = sum(1 for c in parsed if isinstance(c, Rejected))
    scored: dict[tuple[str, str], dict[str, Any]] = {}
    for _, raw in read_messages(settings.kafka, topics.scored):
        try:
            event = orjson.loads(raw or b"")
            key = (str(event["kind"]), str(event["id"]))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue
        if key in corrections:
            scored[key] = event
    wanted = {str(e.get("source", "")) for e in scored.values()}
    inputs: dict[str, bytes] = {}
    for topic in {w.split("[", 1)[0] for w in wanted if "[" in w}:
        for ref, raw in read_messages(settings.kafka, topic):
            if str(ref) in wanted and raw is not None:
                inputs[str(ref)] = raw
    rows, missing = join_feedback(corrections, scored, inputs, parse_ctx)
    return rows, Counter(why for _, why in missing), invalid


@feedback.command("export")
@user_errors
def export_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("-o", "--out", help="labelled rows (JSONL)")] = Path(
        "build/feedback.jsonl"
    ),
) -> None:
    """Join every correction to the record it corrects: JSONL rows {id, kind, text, label,
    model_label, model_version, by, at, note} for `finsentry train --feedback`."""
    rows, missing, invalid = collect_rows(ctx.obj)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row) + b"\n")
    flips = sum(1 for r in rows if r["label"] != r["model_label"])
    console.print(f"wrote {len(rows)} labelled rows to {out} ({flips} disagree with the model)")
    for why, n in missing.most_common():
        console.print(f"  {n} corrections not joined: {why}")
    if invalid:
        console.print(f"  {invalid} invalid corrections skipped (see the dead-letter topic)")
