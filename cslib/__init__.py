"""cslib: the Customer Success Operations analysis kit.

Metric functions live in one module per domain concept: :mod:`cslib.nps`,
:mod:`cslib.revenue`, :mod:`cslib.retention`, :mod:`cslib.adoption`,
:mod:`cslib.ltv`, :mod:`cslib.support` and :mod:`cslib.review`. Data comes in
through :func:`cslib.io.load` and is checked against :mod:`cslib.schemas`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cslib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
