"""``finsentry top``: a live terminal dashboard on any running worker, fed by its /metrics.

scrape.py   /metrics text -> a Snapshot (subjects, alerts, counters, model)
view.py     Snapshot + History -> one rich frame that fits 80x24
run.py      the refresh loop (rich Live), ``--once``, a worker that is down
"""
