"""granskning: urval, checklistor, analys och rapporter för granskning och internkontroll.

The package root stays import-light on purpose: ``granskning --help`` and the
first prompt of a session must not pay for pandas, scipy or statsmodels.
Import the submodules you need (``granskning.sampling.design``, ``granskning.sampling.precision`` …).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
