"""The delivery shortcut: run a delivery inline, finish it as a task if it waits."""

from __future__ import annotations

import asyncio

import pytest

from stream.worker.resume import Resumed as _Resumed
from stream.worker.resume import run_until_blocked as _run_until_blocked


def test_a_delivery_that_never_waits_completes_inline() -> None:
    seen: list[int] = []

    async def deliver() -> None:
        seen.append(1)

    async def main() -> None:
        assert _run_until_blocked(deliver()) is None
        assert seen == [1]  # done before anything was awaited

    asyncio.run(main())


def test_a_delivery_that_waits_is_finished_with_its_result() -> None:
    async def main() -> None:
        gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        steps: list[str] = []

        async def deliver() -> str:
            steps.append("queued")
            got = await gate  # a full buffer: waits for room
            await asyncio.sleep(0)  # and a bare yield after that
            steps.append(got)
            return "delivered"

        pending = _run_until_blocked(deliver())
        assert pending is not None and steps == ["queued"]
        asyncio.get_running_loop().call_later(0.01, gate.set_result, "room")
        assert await asyncio.wait_for(pending, 1) == "delivered"
        assert steps == ["queued", "room"]

    asyncio.run(main())


def test_a_waiting_delivery_sees_cancellation_and_errors() -> None:
    async def main() -> None:
        cleaned: list[str] = []

        async def deliver(gate: asyncio.Future[None]) -> None:
            try:
                await gate
            finally:
                cleaned.append("finally")

        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending = _run_until_blocked(deliver(gate))
        assert isinstance(pending, asyncio.Future)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert cleaned == ["finally"]

        failing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending = _run_until_blocked(deliver(failing))
        failing.set_exception(RuntimeError("broker gone"))
        with pytest.raises(RuntimeError, match="broker gone"):
            await pending  # type: ignore[misc]

    asyncio.run(main())


def test_a_resumed_delivery_can_also_be_awaited_directly() -> None:
    async def main() -> None:
        gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def deliver() -> int:
            return await gate + 1

        coro = deliver()
        waiting_on = coro.send(None)
        assert waiting_on is gate
        asyncio.get_running_loop().call_soon(gate.set_result, 41)
        assert await _Resumed(coro, waiting_on) == 42

    asyncio.run(main())
