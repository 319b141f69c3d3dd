"""``finsentry demo``: the embedded broker, a worker and the sample feed (``sample``)."""
