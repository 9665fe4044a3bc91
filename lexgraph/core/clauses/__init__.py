"""Clause finding: which CUAD clause categories a sentence of a contract belongs to.

``base`` holds the ``ClauseFinder`` Protocol, ``units`` cuts a contract into the sentence units
the finders score, ``linear`` is the trained finder (numpy only at run time, its artifact under
``model/``), ``keywords`` the hand-written baseline and fallback, and ``training`` rebuilds the
artifact from CUAD v1 (scikit-learn, a development dependency, imported only there).
"""

from lexgraph.core.clauses.base import ClauseFinder, ClauseLabel
from lexgraph.core.clauses.keywords import KeywordClauseFinder
from lexgraph.core.clauses.linear import LinearClauseFinder, load_clause_finder
from lexgraph.core.clauses.units import contract_units

__all__ = [
    "ClauseFinder",
    "ClauseLabel",
    "KeywordClauseFinder",
    "LinearClauseFinder",
    "contract_units",
    "load_clause_finder",
]
