"""The import graph of toolchain/ and models/, read with `ast`: no module imports another that imports it back
(late imports inside functions count), and models/ stands on its own (no tinyctl outside tinyctl.models)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import name -> folder, as pyproject.toml's package-dir installs them
PACKAGES = {"tinyctl": ROOT / "toolchain", "tinyctl.models": ROOT / "models"}


def module_files(packages: dict[str, Path]) -> dict[str, Path]:
    """Dotted module name -> .py file, for every file under each package folder."""
    modules = {}
    for package, folder in packages.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            modules[".".join((package, *parts)).removesuffix(".__init__")] = path
    return modules


def _absolute(package: str, module: str | None, level: int) -> str:
    """The absolute name of `from <level dots><module> import ...` written in `package`."""
    if not level:
        return module or ""
    base = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join(base + ([module] if module else []))


def _resolve(name: str, files: dict[str, Path]) -> str | None:
    """The project module `name` is or lies in (the longest known prefix); None for other packages."""
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name or None


def imported_modules(module: str, files: dict[str, Path]) -> set[str]:
    """The project modules that `module` imports, anywhere in its file (late imports inside functions too):
    `from p import x` is module p.x when x is a submodule, else p."""
    path = files[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(_resolve(alias.name, files) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.module, node.level)
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else _resolve(base, files)
                         for alias in node.names)
    return found - {module, None}


def import_graph(packages: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    files = module_files(packages)
    return {module: imported_modules(module, files) for module in files}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Modules reachable from `start` over one import or more (`start` itself only through a loop)."""
    seen, todo = set(), list(graph[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return seen


def import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each set of modules that import one another (directly or round a chain), sorted."""
    reach = {module: _reachable(graph, module) for module in graph}
    loops = {frozenset(other for other in reach[module] if module in reach[other])
             for module in graph if module in reach[module]}
    return sorted(sorted(loop) for loop in loops)


def imports_outside(graph: dict[str, set[str]], package: str) -> list[str]:
    """`a -> b` for each module a of `package` that imports a module b outside it."""
    def inside(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    return sorted(f"{a} -> {b}" for a, targets in graph.items() if inside(a) for b in targets if not inside(b))


def test_toolchain_and_models_have_no_import_loop():
    loops = import_loops(import_graph(PACKAGES))
    assert not loops, "import loops: " + "; ".join(" <-> ".join(loop) for loop in loops)


def test_models_does_not_import_the_toolchain():
    assert imports_outside(import_graph(PACKAGES), "tinyctl.models") == []


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_checker_finds_a_loop_through_late_and_relative_imports(tmp_path):
    _write(tmp_path / "app", {
        "__init__.py": "",
        "cli.py": "from .sub import verbs\n",
        "sub/__init__.py": "",
        "sub/verbs.py": "def verb():\n    from ..cli import main  # a late import still closes the loop\n",
        "leaf.py": "import app.cli\n",
    })
    _write(tmp_path / "lib", {"__init__.py": "", "core.py": "from app.leaf import x\n", "own.py": "from . import core\n"})
    graph = import_graph({"app": tmp_path / "app", "app.lib": tmp_path / "lib"})
    assert graph["app.sub.verbs"] == {"app.cli"} and graph["app.lib.own"] == {"app.lib.core"}
    assert import_loops(graph) == [["app.cli", "app.sub.verbs"]]
    assert imports_outside(graph, "app.lib") == ["app.lib.core -> app.leaf"]


def test_checker_passes_a_tree_without_loops(tmp_path):
    _write(tmp_path / "app", {"__init__.py": "from .a import f\n", "a.py": "from . import b\n", "b.py": "import os\n"})
    graph = import_graph({"app": tmp_path / "app"})
    assert graph == {"app": {"app.a"}, "app.a": {"app.b"}, "app.b": set()}
    assert import_loops(graph) == []
