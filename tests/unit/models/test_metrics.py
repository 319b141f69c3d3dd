import pytest

from models.metrics import classification_report, report_markdown


def test_report_on_known_confusion():
    report = classification_report([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["a", "b", "c"])
    assert report.confusion == ((1, 1, 0), (0, 2, 0), (1, 0, 1))
    assert report.accuracy == pytest.approx(4 / 6)
    assert report.precision == pytest.approx((0.5, 2 / 3, 1.0))
    assert report.recall == pytest.approx((0.5, 1.0, 0.5))
    assert report.macro_f1 == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert "| c | 1 | 0 | 1 |" in report_markdown(report.to_dict())
