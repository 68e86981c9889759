"""flake8 glue: the entry point flake8 instantiates per file, and the plugin's options."""
from . import __version__
from .checker import check_safely


class KerasReuseChecker:
    name = "flake8-keras-reuse"
    version = __version__
    extra_layers = {}  # qualified class name -> category, from the options below

    def __init__(self, tree, filename, lines):
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager):
        manager.add_option(
            "--keras-reuse-stats-layers", default="", parse_from_config=True,
            comma_separated_list=True,
            help="Qualified names of layer classes that keep moving statistics (KR001).")
        manager.add_option(
            "--keras-reuse-weight-layers", default="", parse_from_config=True,
            comma_separated_list=True,
            help="Qualified names of layer classes whose weights a second call shares (KR002).")
        manager.add_option(
            "--keras-reuse-safe-layers", default="", parse_from_config=True,
            comma_separated_list=True,
            help="Qualified names of layer classes that are safe to call more than once.")

    @classmethod
    def parse_options(cls, options):
        extra = {}
        for option, category in (("keras_reuse_stats_layers", "stats"),
                                 ("keras_reuse_weight_layers", "weights"),
                                 ("keras_reuse_safe_layers", "stateless")):
            for name in getattr(options, option, None) or ():
                if name.strip():
                    extra[name.strip()] = category
        cls.extra_layers = extra

    def run(self):
        findings = check_safely(self.tree, "".join(self.lines), self.filename,
                                self.extra_layers)
        for line, col, message in findings:
            yield line, col, message, type(self)
