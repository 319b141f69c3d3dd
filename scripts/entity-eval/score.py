"""Score finsentry's entity linking and subject coverage on the TFNS training tweets.

    .venv/bin/python scripts/entity-eval/score.py [--data ../shared/data/tfns/train.csv]
                                                  [--json entity-eval.json]

``labels.jsonl`` (beside this script) holds hand labels for 440 tweets: the row of the tweet
in train.csv, the first 12 hex digits of its SHA-1 (checked, so the labels cannot silently
drift onto other rows) and the companies it names, as finsentry subject keys
(``ticker:AAPL`` — the universe's ticker where the company is in it, else the ticker the
market knows it by —, or ``company:name`` for a company without one). The texts themselves
stay in ../shared: the project does not ship them. ``split``: "dev" rows were read while the
matching rules were written (320, seed 2026); "held_out" rows (120, seed 99) were labelled
afterwards and no rule changed after reading them.

Prints entity precision and recall per split and the share of all tweets that reach a
company, an event, or any subject, and the matcher's cost per tweet.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from stream.pipeline.subjects import Entities, news_subjects
from stream.records import NewsItem
from stream.settings import Settings

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[2] / "shared" / "data" / "tfns" / "train.csv"
COMPANY = ("ticker:", "company:")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=Path("entity-eval.json"))
    args = parser.parse_args()
    if not args.data.exists():
        msg = f"{args.data} not found: pass --data PATH/TO/tfns/train.csv"
        raise SystemExit(msg)
    texts = [row["text"] for row in csv.DictReader(args.data.open(encoding="utf-8"))]
    settings = Settings()
    e = settings.entities
    entities = Entities.load(e.universe_file, settings.alerts.watchlist_file, e.min_relevance)
    now = datetime.now(UTC)

    def subjects(text: str) -> list[str]:
        return [s.key for s in news_subjects(NewsItem("x", now, "s", text), entities)]

    started = time.perf_counter()
    found = [subjects(t) for t in texts]
    per_tweet_us = (time.perf_counter() - started) / len(texts) * 1e6
    n = len(texts)
    company = sum(any(k.startswith(COMPANY) for k in keys) for keys in found)
    event = sum(any(k.startswith("event:") for k in keys) for keys in found)
    company_or_event = sum(any(k.startswith((*COMPANY, "event:")) for k in keys) for keys in found)
    anything = sum(bool(keys) for keys in found)

    splits: dict[str, dict[str, int]] = {}
    for line in (HERE / "labels.jsonl").read_text().splitlines():
        label = json.loads(line)
        text = texts[label["row"]]
        if hashlib.sha1(text.encode()).hexdigest()[:12] != label["sha1"]:  # noqa: S324
            msg = f"row {label['row']} is not the labelled tweet: wrong train.csv?"
            raise SystemExit(msg)
        gold = set(label["companies"])
        predicted = {k for k in found[label["row"]] if k.startswith(COMPANY)}
        for name in (label["split"], "all"):
            s = splits.setdefault(name, {"tweets": 0, "tp": 0, "fp": 0, "fn": 0})
            s["tweets"] += 1
            s["tp"] += len(gold & predicted)
            s["fp"] += len(predicted - gold)
            s["fn"] += len(gold - predicted)

    report: dict[str, object] = {
        "tweets": n,
        "share_with_company": company / n,
        "share_with_event": event / n,
        "share_with_company_or_event": company_or_event / n,
        "share_with_any_subject": anything / n,
        "subjects_us_per_tweet": per_tweet_us,
        "entity_linking": {},
    }
    print(f"{n} TFNS training tweets, subjects at {per_tweet_us:.0f} µs a tweet")
    print(f"  a company          {company / n:6.1%}")
    print(f"  an event           {event / n:6.1%}")
    print(f"  a company or event {company_or_event / n:6.1%}")
    print(f"  any subject        {anything / n:6.1%}  (with macro, country, commodity)")
    print(f"{'split':<10} {'tweets':>6} {'gold':>5} {'found':>5} {'precision':>9} {'recall':>7}")
    for name, s in splits.items():
        precision = s["tp"] / max(1, s["tp"] + s["fp"])
        recall = s["tp"] / max(1, s["tp"] + s["fn"])
        gold_n, found_n = s["tp"] + s["fn"], s["tp"] + s["fp"]
        print(
            f"{name:<10} {s['tweets']:>6} {gold_n:>5} {found_n:>5} {precision:>9.3f} {recall:>7.3f}"
        )
        report["entity_linking"][name] = {**s, "precision": precision, "recall": recall}  # type: ignore[index]
    args.json.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
