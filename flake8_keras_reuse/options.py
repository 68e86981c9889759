"""The layer options, shared by the flake8 plugin and the `keras-reuse` command.

One table, so both front ends offer the same names (flake8's option names are also the keys of
`[tool.keras-reuse]`) and map them to catalog categories the same way.
"""
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Union


@dataclass(frozen=True)
class LayerOption:
    name: str  # the flake8 option and the pyproject key, without the leading dashes
    short: str  # the keras-reuse command's shorter spelling
    category: str  # the catalog category the named classes get (catalog.py)
    help: str

    @property
    def dest(self) -> str:
        """The attribute argparse and flake8 store the option under."""
        return self.name.replace("-", "_")


# Order matters: a class named in two options gets the category of the later one.
LAYER_OPTIONS = (
    LayerOption("keras-reuse-stats-layers", "stats-layers", "stats",
                "Qualified names of layer classes that keep moving statistics (KR001)."),
    LayerOption("keras-reuse-weight-layers", "weight-layers", "weights",
                "Qualified names of layer classes whose weights a second call shares (KR002)."),
    LayerOption("keras-reuse-safe-layers", "safe-layers", "stateless",
                "Qualified names of layer classes that are safe to call more than once."),
)

# flake8's own splitting of comma-separated options (flake8.utils.COMMA_SEPARATED_LIST_RE):
# commas and any whitespace, so a config value may also list one name per line.
_SEPARATORS = re.compile(r"[,\s]")


def split_list(value: Union[None, str, Iterable[str]]) -> List[str]:
    """A comma- or whitespace-separated string, or a list of such strings, as a list of items."""
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else list(value)
    return [item for part in parts for item in _SEPARATORS.split(part) if item]


def extra_layers(values: Mapping[str, Optional[Iterable[str]]]) -> Dict[str, str]:
    """{qualified class name: category} from {option dest or name: the names given to it}."""
    extra = {}
    for option in LAYER_OPTIONS:
        given = values.get(option.dest, values.get(option.name))
        for name in split_list(given):
            extra[name.strip()] = option.category
    return extra
