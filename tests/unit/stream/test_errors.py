"""One exception tree: every error finsentry raises derives from FinsentryError."""

from __future__ import annotations

import stream.errors as errors


def test_every_error_is_in_the_one_tree_and_drawn_in_its_docstring():
    assert errors.__doc__ is not None
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.FinsentryError), name
        assert name in errors.__doc__, f"{name} is missing from the drawn tree"
    assert issubclass(errors.ConfigError, errors.StreamError)
    assert issubclass(errors.UnknownTaskError, errors.ModelError)
    assert not issubclass(errors.ModelError, errors.StreamError)
