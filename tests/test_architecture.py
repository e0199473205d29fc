"""The layout is the architecture (iompolicy/__init__.py, docs/architecture.md): each stage
folder imports only the layers below it, and one module imports only another's public names.

These tests read the package's source, so a new import that reaches across a layer fails
here, with the module and the import named, instead of being found by a reader later.
"""

from __future__ import annotations

import ast

import pytest

from conftest import ROOT

PACKAGE = ROOT / "iompolicy"

# What each stage folder may import from the rest of the package (besides itself). The
# foundation modules (limits, values, patterns, report, stopping) import nothing of the
# package but `records`, the base of its records, which imports nothing of it at all.
ALLOWED = {
    "language": {"limits", "records", "values"},
    "documents": {"language", "limits", "patterns", "records", "stopping", "values"},
    "evaluation": {"documents", "language", "records", "report", "stopping", "values"},
    "traceability": {"language", "records", "selection"},
}
FOUNDATION = ("limits", "values", "patterns", "report", "stopping", "records")


def _imports(path):
    """(line, absolute module) of every package import in a module, relative ones resolved."""
    module = path.relative_to(ROOT).with_suffix("").parts
    package = module[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)]
            target = ".".join(base + ((node.module,) if node.module else ()))
            names = [alias.name for alias in node.names]
            if node.module is None:  # `from . import x`: x is a module of that package
                for name in names:
                    yield node.lineno, f"{target}.{name}", []
            else:
                yield node.lineno, target, names
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("iompolicy"):
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _layer(module: str) -> str:
    """`iompolicy.language.checker` -> `language`; `iompolicy.engine` -> `engine`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_a_stage_imports_only_the_layers_below_it(folder):
    reaching = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for line, target, _ in _imports(path):
            layer = _layer(target)
            if layer not in (folder, "") and layer not in ALLOWED[folder]:
                reaching.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
    assert not reaching, "\n".join(reaching)


@pytest.mark.parametrize("module", FOUNDATION)
def test_the_foundation_imports_nothing_of_the_package(module):
    path = PACKAGE / f"{module}.py"
    allowed = [] if module == "records" else ["iompolicy.records"]
    assert [target for _, target, _ in _imports(path) if target not in allowed] == []


def test_a_module_uses_only_the_public_names_of_another():
    """Private helpers (`_name`) stay in their module: what two modules share, even inside one
    folder, is public there and has a docstring (the document readers once shared ten)."""
    reaching = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_shipped" in path.parts:
            continue
        own = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for line, target, names in _imports(path):
            private = [name for name in names if name.startswith("_") and name != "__version__"]
            if private and target != own:
                reaching.append(f"{path.relative_to(ROOT)}:{line}: {', '.join(private)} from {target}")
    assert not reaching, "\n".join(reaching)


def test_the_architecture_map_names_every_folder():
    """The package docstring and docs/architecture.md describe the folders that exist."""
    import iompolicy

    folders = sorted(p.name for p in PACKAGE.iterdir()
                     if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("_"))
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for folder in folders:
        assert f"{folder}/" in iompolicy.__doc__, folder
        assert f"{folder}/" in page, folder


DATA_SUITES = {"conformance", "hostile", "golden", "schemas", "data", "yaml-test-suite"}
# The tests that span the stages, and so stay at the top of tests/.
SPANNING = {"test_api", "test_architecture", "test_benchmarks", "test_conformance", "test_golden",
            "test_hostile_scaling", "test_installed", "test_loading", "test_new_user", "test_packaging",
            "test_patterns", "test_readme", "test_records", "test_security_doc"}


def test_the_tests_mirror_the_stages():
    """A test of one stage lives in the folder named after it (tests/language/ ...); the data
    suites keep their own folders; a test that spans the stages stays at the top."""
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tests = ROOT / "tests"
    mirrored = {p.name for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert mirrored <= folders, f"test folders with no stage of that name: {sorted(mirrored - folders)}"
    others = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))} - mirrored
    assert others <= DATA_SUITES, f"test folders that are neither a stage nor a data suite: {sorted(others - DATA_SUITES)}"
    assert {"language", "documents", "evaluation", "service", "cli", "render"} <= mirrored
    at_the_top = {p.stem for p in tests.glob("test_*.py")} - SPANNING
    assert not at_the_top, (f"{sorted(at_the_top)}: move each into the folder of the stage it tests "
                            "(tests/cli/, tests/service/, ...), or add it to SPANNING if it spans them")
