"""Reading `# expect: KR001` comments: the verdict written on the line it concerns."""
import pathlib
import re

EXPECT = re.compile(r"#\s*expect:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")
FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def expected(path):
    """{(line, code)} that a fixture file says must be reported."""
    found = set()
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found.update((row, code.strip()) for code in match.group(1).split(","))
    return found


def fixture_files():
    """Every fixture module, the project's package modules included."""
    return sorted(FIXTURES.rglob("*.py"))
