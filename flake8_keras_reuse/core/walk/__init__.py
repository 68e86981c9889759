"""The forward-path walk: an abstract interpreter over a class's call() (and its helpers) or a
body that builds functional/Sequential graphs, counting which layer objects one pass runs more
than once."""

from __future__ import annotations

from .budget import Budget, BudgetSpent
from .values import is_attr_key
from .walks import find_graph_reuses, find_reuses

__all__ = ["Budget", "BudgetSpent", "find_graph_reuses", "find_reuses", "is_attr_key"]
