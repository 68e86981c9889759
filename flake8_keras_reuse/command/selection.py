"""Which codes are reported: flake8's decision between --select and --ignore, for the command.

The plugin registers the prefix `KR` with flake8, so every KR code is selected unless the user
says otherwise; the rules below are flake8's (flake8/style_guide.py, DecisionEngine), so one
`select`/`ignore` configuration means the same under both front ends.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Sequence

DEFAULT_SELECT = ("KR",)


def _prefixes(*lists: Optional[Iterable[str]]) -> tuple:
    return tuple(sorted((p for codes in lists for p in (codes or ())), reverse=True))


class Selection:
    def __init__(
        self,
        select: Optional[Sequence[str]] = None,
        ignore: Optional[Sequence[str]] = None,
        extend_select: Optional[Sequence[str]] = None,
        extend_ignore: Optional[Sequence[str]] = None,
    ):
        self._lists = (select, ignore, extend_select, extend_ignore)
        self.selected_explicitly = _prefixes(select, extend_select)
        self.ignored_explicitly = _prefixes(ignore, extend_ignore)
        # An explicit --select replaces the default; --extend-select adds to either.
        self.selected = _prefixes(DEFAULT_SELECT if select is None else select, extend_select)
        self.ignored = _prefixes(ignore, extend_ignore)
        self._cache: Dict[str, bool] = {}

    def ignoring(self, codes: Sequence[str]) -> Selection:
        """This selection with `codes` added to extend-ignore (a per-file-ignores entry, as
        flake8's StyleGuide.copy makes it)."""
        select, ignore, extend_select, extend_ignore = self._lists
        return Selection(select, ignore, extend_select, [*(extend_ignore or ()), *codes])

    def reports(self, code: str) -> bool:
        if code not in self._cache:
            self._cache[code] = self._decide(code)
        return self._cache[code]

    def _decide(self, code: str) -> bool:
        explicit_select = code.startswith(self.selected_explicitly)
        selected = explicit_select or code.startswith(self.selected)
        explicit_ignore = code.startswith(self.ignored_explicitly)
        ignored = explicit_ignore or code.startswith(self.ignored)
        if not ignored:
            return selected
        if not selected:
            return False
        if explicit_select != explicit_ignore:
            return explicit_select
        # In both lists, both explicitly or both by default: the longer prefix wins, and
        # a tie goes to ignore.
        select = next(s for s in self.selected if code.startswith(s))
        ignore = next(s for s in self.ignored if code.startswith(s))
        return len(select) > len(ignore)
