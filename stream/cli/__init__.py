"""The ``finsentry`` command line: one root command (``root``), one error map (``errors``).

root.py     the root command; builds the settings once
errors.py   error -> exit code, printed as one line
worker.py   worker, demo, dashboards
data.py     produce, tail
rescore.py  rescore
model.py    train, sweep, export, requantize, calibrate, score
evaluate.py eval (and --against: a paired comparison of two models)
registry.py model list | add | promote | rollback (the model registry)
feedback.py feedback add | export (analysts' corrections -> labelled rows)
bench.py    bench model | stream | rescore
"""

from __future__ import annotations

from stream.cli import bench, data, evaluate, feedback, model, registry, rescore, top, worker  # noqa: F401 - they add commands
from stream.cli.root import app

__all__ = ["app", "main"]


def main() -> None:
    app()
