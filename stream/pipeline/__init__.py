"""The pure stages, in data-flow order; the worker and ``finsentry rescore`` call the same ones.

parse.py      raw payload -> NewsItem | Transaction | Rejected (reason, detail)
subjects.py   what a record is about, with a relevance: ticker:, sector:, event:, macro:, ...
score.py      parsed records -> model texts -> one score_batch call -> ScoredEvents
novelty.py    first story or a near-duplicate repeat (MinHash LSH), the worker's story index
windows.py    per-subject panes (tumbling, hopping), applied idempotently by source offset
offsets.py    the source offsets a key has applied, as merged ranges
alerts.py     level / surge rules with hysteresis and cooldown -> AlertEvents
redact.py     what a dead letter may echo: accounts hashed, digit runs masked, any shape
kinds.py      the per-kind table: parser, redaction, model text, subjects, task, classes
feedback.py   analysts' corrections: validated, joined to the records' model texts
batch.py      the one batch step: run_batch (parse + subjects + score + novelty) and
              WindowStep (windows + rules)
"""
