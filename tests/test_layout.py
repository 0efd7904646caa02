"""The tree shows the architecture: the algorithm never imports the paper machinery."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lottery_np"


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def test_algorithm_modules_never_import_the_paper_half():
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "__main__.py":  # `python -m lottery_np` is the command line, by design
            continue
        for module, names in imported_modules(path):
            if "paper" in module.split(".") or module.startswith(".paper") or (module == "." and "paper" in names):
                offenders.append(f"{path.name}: {module} {names}")
    assert not offenders, offenders


def test_the_paper_half_is_a_package_of_its_own():
    assert (PACKAGE / "paper" / "__init__.py").exists()
    names = {p.name for p in (PACKAGE / "paper").glob("*.py")}
    assert {"runner.py", "experiments.py", "claims.py", "reproduce.py", "cli.py"} <= names
