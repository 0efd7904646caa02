"""The tree shows the architecture: the algorithm never imports the paper machinery, no module imports
another in a loop, imports sit at the top of a module, and no module takes another's private names."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lottery_np"

# Imports that may stay inside a function: an optional dependency, loaded only where it is used. Each such
# line says why in a comment (checked below).
OPTIONAL = {"dask", "distributed", "matplotlib", "threadpoolctl"}

# Known exceptions, each to be removed by the change named beside it.
KNOWN_CYCLES = []
KNOWN_LOCAL_IMPORTS = {}  # whole files whose imports inside functions wait for another change
KNOWN_PRIVATE = {}  # (importer, imported module, name): reason


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def modules(root=PACKAGE):
    """``{dotted name: path}`` of every module of the package (a package by its ``__init__``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name, path, known):
    """Every import statement of module ``name``: ``(node, in a function, [(target module, imported name)])``,
    the targets being modules of the package (``from . import claims`` names the module ``claims``,
    ``from .. import __version__`` the package ``lottery_np``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())

    def visit(node, local):
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                yield child, local, [(a.name, None) for a in child.names if a.name in known]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = ".".join(base[:len(base) - (child.level - 1)] + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                targets = []
                for a in child.names:
                    if f"{base}.{a.name}" in known:
                        targets.append((f"{base}.{a.name}", None))  # a submodule
                    elif base in known:
                        targets.append((base, a.name))
                yield child, local, targets
            yield from visit(child, inner)

    yield from visit(tree, False)


def import_graph(root=PACKAGE):
    """``{module: {imported module: [line numbers]}}`` over the package, imports inside functions included."""
    known = modules(root)
    graph = {name: {} for name in known}
    for name, path in known.items():
        for node, _, targets in imports(name, path, known):
            for target, _ in targets:
                if target != name:
                    graph[name].setdefault(target, []).append(node.lineno)
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each a set of module names."""
    index, low, on, stack, found = {}, {}, set(), [], []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def describe(component, graph):
    return " ; ".join(f"{a} -> {b} (line {', '.join(map(str, sorted(set(graph[a][b]))))})"
                      for a in sorted(component) for b in sorted(graph[a]) if b in component)


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
    assert {"runner.py", "store.py", "folders.py", "settings.py", "experiments.py", "claims.py", "reproduce.py",
            "cli.py"} <= names


LONG_MODULES = {"paper/claims.py": "every verdict of sections 2 to 6 with its rule; to be cut by section"}


def test_no_module_is_longer_than_a_long_read():
    """A module has one job, said in its docstring; one over 600 lines is doing two, or should be cut."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 600}
    assert set(long) <= set(LONG_MODULES), long


def test_no_module_of_the_package_imports_another_in_a_loop():
    """Imports at the top and inside functions both count: a loop is a loop, whether Python meets it
    when the module is imported or when the function runs."""
    graph = import_graph()
    loops = [c for c in cycles(graph) if c not in KNOWN_CYCLES]
    assert not loops, "\n".join(describe(c, graph) for c in loops)


def test_the_known_exceptions_still_exist():
    """An exception that is gone is taken off its list, so that it cannot come back unnoticed."""
    graph = import_graph()
    assert all(c in cycles(graph) for c in KNOWN_CYCLES)
    known = modules()
    for name in KNOWN_LOCAL_IMPORTS:
        assert any(local for _, local, _ in imports(name, known[name], known)), name
    private = {(name, target, n) for name, path in known.items() for _, _, targets in imports(name, path, known)
               for target, n in targets if n}
    assert set(KNOWN_PRIVATE) <= private, set(KNOWN_PRIVATE) - private


def test_imports_are_at_the_top_except_optional_dependencies():
    """An import inside a function hides a dependency (and often a loop); only an optional one may stay
    there, with a comment on its line saying why."""
    known = modules()
    offenders = []
    for name, path in known.items():
        lines = path.read_text().splitlines()
        for node, local, _ in imports(name, path, known):
            if not local or name in KNOWN_LOCAL_IMPORTS:
                continue
            top = (node.names[0].name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
            if getattr(node, "level", 0) or top not in OPTIONAL:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
            elif "#" not in lines[node.lineno - 1]:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: optional, but no comment says why")
    assert not offenders, "\n".join(offenders)


def test_no_module_imports_another_modules_private_names():
    """A helper two modules share has a public name in the module that owns it."""
    known = modules()
    offenders = [f"{name} imports {n} from {target}"
                 for name, path in known.items() for _, _, targets in imports(name, path, known)
                 for target, n in targets
                 if n and n.startswith("_") and not n.startswith("__") and (name, target, n) not in KNOWN_PRIVATE]
    assert not offenders, offenders


def test_the_cycle_test_finds_a_planted_loop(tmp_path):
    """The checks above read the package as it is; here they are shown a loop of three modules, one of
    the imports inside a function, and must find it."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("from ..c import f\n")
    (pkg / "c.py").write_text("def f():\n    from . import a\n    return a\n")
    (pkg / "d.py").write_text("from . import c\n")
    graph = import_graph(pkg)
    assert cycles(graph) == [{"pkg.a", "pkg.sub.b", "pkg.c"}]
