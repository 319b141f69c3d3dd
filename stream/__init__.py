"""finsentry's stream processor. The folders name the concepts:

pipeline/   the pure stages in data-flow order (parse, subjects, score, windows, offsets,
            alerts), the per-kind table and the one batch step shared by worker and rescore
kafka/      Kafka client configuration (the only place), topic admin, producing, reading,
            the embedded broker (Tansu)
worker/     the always-on faust worker: the only package that imports faust
rescore/    ``finsentry rescore``: the same batch step over files or Kafka ranges
demo/       ``finsentry demo``: the sample feed, its paced replay, an optional Prometheus
top/        ``finsentry top``: the live terminal dashboard
bench/      benchmarks: model, stream, rescore
cli/        the ``finsentry`` command: one root command, one error -> exit-code map
settings.py one frozen settings object (``FINSENTRY_*``), built once by the CLI
records.py  the wire schemas and the frozen records inside the worker
errors.py   the one exception tree
"""
