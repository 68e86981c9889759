"""flake8 glue: the entry point flake8 instantiates per file, and the plugin's options."""
from . import __version__
from .checker import check_safely
from .options import LAYER_OPTIONS, extra_layers


class KerasReuseChecker:
    name = "flake8-keras-reuse"
    version = __version__
    extra_layers = {}  # qualified class name -> category, from the options (options.py)

    def __init__(self, tree, filename, lines):
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager):
        for option in LAYER_OPTIONS:
            manager.add_option(f"--{option.name}", default="", parse_from_config=True,
                               comma_separated_list=True, help=option.help)

    @classmethod
    def parse_options(cls, options):
        cls.extra_layers = extra_layers(vars(options))

    def run(self):
        findings = check_safely(self.tree, "".join(self.lines), self.filename,
                                self.extra_layers)
        for line, col, message in findings:
            yield line, col, message, type(self)
