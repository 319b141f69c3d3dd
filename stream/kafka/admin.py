"""Topic administration: finsentry creates its topics explicitly, with the configured
partition count (auto-created topics get the broker's default)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from stream.kafka.client import make_admin, unreachable
from stream.settings import KafkaSettings

__all__ = ["create_topics"]

log = logging.getLogger(__name__)


async def _create(kafka: KafkaSettings, names: list[str], partitions: int) -> None:
    from aiokafka.admin import NewTopic
    from aiokafka.errors import KafkaError, TopicAlreadyExistsError

    admin = make_admin(kafka)
    try:
        await admin.start()
    except KafkaError as exc:
        raise unreachable(kafka, exc, "create topics") from exc
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(n, partitions, kafka.topics.replication_factor)
            for n in names
            if n not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
            log.info("created topics %s with %d partitions", [t.name for t in new], partitions)
    finally:
        await admin.close()


def create_topics(kafka: KafkaSettings, names: list[str] | None = None) -> None:
    """Create finsentry's topics (or ``names``) with the configured partition count."""
    wanted = names or list(kafka.topics.by_role().values())
    asyncio.run(_create(kafka, wanted, kafka.topics.partitions))
