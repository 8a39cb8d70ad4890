"""Exceptions and warnings raised by :mod:`cslib`.

Every error subclasses a built-in (``ValueError``, ``OSError``...) so callers can
catch them with the usual ``except`` clauses, and :class:`CslibError` so the
batch can tell the kit's own, explained errors from unexpected ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only when an error needs it: `cslib` starts fast
    import pandas as pd


class CslibError(Exception):
    """Base class of every error the kit raises on purpose."""


class SchemaError(CslibError, ValueError):
    """One or more tables break their data contract.

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per problem with columns ``table``, ``file``, ``column``,
        ``check``, ``rows`` (1-based data rows, header not counted), ``values``
        and ``fix``.
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        if problems is None:
            import pandas as pd

            problems = pd.DataFrame()
        self.problems = problems


class SourceError(CslibError, ValueError):
    """A data source cannot be found, opened or read."""


class ParamsError(CslibError, ValueError):
    """A params file or a notebook parameter is wrong."""


class ModelError(CslibError, ValueError):
    """A statistical model cannot be fitted on the data it was given."""


class NotFittedError(CslibError, AttributeError):
    """A model's results were read before ``fit``: call ``fit`` first."""


class RenderError(CslibError, RuntimeError):
    """The batch cannot go on (locked month, unwritable output folder...)."""


class SmallSampleWarning(RuntimeWarning):
    """An estimate rests on fewer observations than the stated minimum."""
