"""The always-on worker: the only package that imports faust.

    app.py           the faust app, its topics and the windows table (create_app)
    faust_compat.py  every use of faust's and aiokafka's private internals, version-checked
    inflight.py      micro-batches between fetch and commit, published in order
    inputs.py        the input side: run_batch in an inference thread, then publish
    windows.py       the window side: contributions -> WindowStep -> changelog, alerts
    outbox.py        sends straight to the producer (whole record batches)
    alert_outbox.py  alert delivery reading the alerts topic, committing once accepted
    summaries.py     repeated log lines summarised (rejects per reason, library retries)
    resume.py        run a delivery up to its first wait (the fetch loop's shortcut)
    model.py         the classifier: loaded off the event loop, swapped on a promotion
    drift.py         live score / class distribution vs the model's reference (PSI)
    feedback.py      analysts' corrections validated (bad ones to dead letters)
    shadow.py        a candidate model scoring a share of records, off the critical path
    observe.py       window gauges and the consumer-lag samples
    build.py         every part, built once from the settings
    agents.py        the parts wired into faust (agents, timer, task)
    run.py           ``finsentry worker``
    process.py       a worker as a child process (demo, bench, tests)

Only ``app``, ``faust_compat``, ``agents``, ``outbox``, ``build`` and ``run`` import faust or
aiokafka internals; ``process`` does not, so the demo and the benchmarks stay faust-free.
"""
