"""Kafka: client configuration (the only place: ``client``), topic admin, the embedded broker,
producing records, reading topics back, and catching up with a changelog partition. No faust
here: ``rescore --topic``, ``produce`` and ``tail`` use these without importing it."""
