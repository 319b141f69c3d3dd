"""``finsentry rescore``: run the worker's own stages over files or Kafka ranges.

sources (files, Kafka range) -> run_batch (the worker's parse + score) -> sinks, optionally
-> a model-version diff (compare) and the worker's WindowStep (backtest: windows + alerts);
resumable through a checkpoint written after every flush.

    run.py         the run: chunks through the batch step, flushes, checkpoints, Ctrl-C
    sources.py     JSONL / CSV / Parquet files (globs) in chunks
    kafka_range.py a Kafka topic range ([from, to) per partition) in chunks
    sinks.py       outputs that can be cut back to a checkpoint (JSONL, CSV, Parquet, Kafka)
    checkpoint.py  where a run stands, written atomically
    compare.py     two models on the same records
    backtest.py    windows and alert transitions over history
"""
