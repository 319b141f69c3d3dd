"""``finsentry rescore``: run the worker's own stages over files or Kafka ranges.

sources (files, Kafka range) -> parse_batch -> score_news / score_transactions -> sinks,
optionally -> a model-version diff (compare) and windows + alerts (backtest); resumable
through a checkpoint written after every flush.
"""
