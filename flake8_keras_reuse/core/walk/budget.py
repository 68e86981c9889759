"""The walk's work budget: every walk of one file draws on one, so no input costs more than
linear time."""

from __future__ import annotations


class BudgetSpent(Exception):
    """The file's work budget ran out: the walk stops, and says so (check.py logs it)."""


class Budget:
    """Steps (statements, expressions, copied names) one file's walks may take in all.

    Proportional to the file's size, so no input makes the walks cost more than linear time:
    a file that needs more loses the findings of the class or body being walked, and of those
    after it, never more.
    """

    BASE = 100_000
    PER_LINE = 50

    def __init__(self, lines: int) -> None:
        self.left = self.BASE + self.PER_LINE * lines
        self.spent = False

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            self.spent = True
            raise BudgetSpent
