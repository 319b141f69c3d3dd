"""The two tasks: label order and the signed score each one gives."""

from __future__ import annotations

import pytest

from models.errors import UnknownTaskError
from models.tasks import NEWS, TRANSACTIONS, get_task


def test_scores_are_positive_minus_negative_and_expected_risk():
    assert NEWS.signed_score([0.1, 0.2, 0.7]) == pytest.approx(0.6)
    assert NEWS.signed_score([1.0, 0.0, 0.0]) == -1.0
    assert TRANSACTIONS.signed_score([0.0, 1.0, 0.0]) == 0.5
    assert TRANSACTIONS.signed_score([0.2, 0.2, 0.6]) == pytest.approx(0.7)


def test_an_unknown_task_is_a_model_error_naming_the_known_ones():
    assert get_task("news") is NEWS
    with pytest.raises(UnknownTaskError, match="news, transactions"):
        get_task("tweets")
