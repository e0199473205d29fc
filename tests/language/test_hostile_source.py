"""A policy is data: nothing in a policy or a document ever becomes Python code,
and evaluation cannot reach the file system, the network or imports.

These tests read the package's source. Evaluation is compiled to closures over
the functions of `operations` and `builtins` (iompolicy/evaluation/compiler.py), and for
long runs to one generated function per kind (iompolicy/evaluation/codegen.py, whose
source binds every value of a policy to a name: tests/evaluation/test_codegen.py); the
other `exec` runs the validator that fastjsonschema generates from our own schemas.
"""

from __future__ import annotations

import ast
import re

from conftest import ROOT

PACKAGE = ROOT / "iompolicy"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "_shipped" not in p.parts)
# What evaluating a clause runs: none of it may touch the world outside the values it is given.
EVALUATION = ["evaluation/compiler.py", "evaluation/operations.py", "language/builtins.py", "evaluation/functions.py", "values.py",
              "evaluation/explain.py", "language/syntax.py", "language/unparse.py", "evaluation/codegen.py"]
WORLD = {"os", "io", "sys", "socket", "subprocess", "pathlib", "shutil", "urllib", "http", "importlib", "pickle",
         "marshal", "ctypes", "tempfile", "glob", "requests", "httpx", "multiprocessing", "threading", "builtins"}
ALLOWED_DYNAMIC = {("documents/validation.py", "exec"), ("documents/validation.py", "compile"),
                   ("evaluation/codegen.py", "exec"), ("evaluation/codegen.py", "compile"),
                   # a module named in a fixed table, looked up first (a report format, a public name):
                   # the import statement's function, which costs no import of importlib
                   ("render/__init__.py", "__import__"), ("__init__.py", "__import__")}


def _calls(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            yield name, node


def test_no_eval_or_exec_but_the_schema_validator():
    found = set()
    for path in SOURCES:
        for name, node in _calls(path):
            builtin = isinstance(node.func, ast.Name) or (
                isinstance(node.func, ast.Attribute) and ast.unparse(node.func.value) in ("builtins", "__builtins__"))
            if builtin and name in ("eval", "exec", "compile", "__import__", "execfile"):  # not re.compile, self.eval
                found.add((path.relative_to(PACKAGE).as_posix(), name))
    assert found == ALLOWED_DYNAMIC


def test_compiled_code_is_loaded_only_from_the_policy_cache():
    """Code objects are read back in two places, both from the policy cache (a folder only
    its owner may write): the schema validators and the kept generated functions."""
    found = set()
    for path in SOURCES:
        for name, node in _calls(path):
            if name in ("loads", "load") and ast.unparse(node.func).startswith("marshal."):
                found.add(path.name)
            if name in ("FunctionType", "CodeType"):
                found.add(path.name)
    assert found == {"validation.py", "program_store.py"}


def test_imports_by_name_use_fixed_names_only():
    """`import_module` and `__import__` are used for lazy imports of the package's own modules,
    named by a fixed table."""
    for path in SOURCES:
        for name, node in _calls(path):
            if name in ("import_module", "__import__"):
                argument = ast.unparse(node.args[0])
                assert argument in ('f".{_EXPORTS[name]}"', "f'.{_EXPORTS[name]}'", 'f".{module}"', "f'.{module}'",
                                    "f'{__name__}.{_EXPORTS[name]}'", "f'{__name__}.{module}'"), \
                    f"{path.name}: {name}({argument})"


def test_evaluation_touches_nothing_outside_its_values():
    for name in EVALUATION:
        path = PACKAGE / name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                modules = {(node.module or "").split(".")[0]} if node.level == 0 else set()
            else:
                continue
            assert not modules & WORLD, f"{name} imports {modules & WORLD}"
        for called, node in _calls(path):
            assert called not in ("open", "setattr", "delattr", "globals", "locals", "vars"), f"{name} calls {called}"
            if called == "getattr":  # only dispatch to its own methods by node type: getattr(self, "on_" + ...),
                # or the tracer's class's (explain._handler finds a class's method once per node class)
                assert ast.unparse(node.args[0]) in ("self", "tracer") and \
                    ast.unparse(node.args[1]).startswith("'on_' +"), name


def test_the_language_has_no_construct_that_reaches_outside():
    grammar = (PACKAGE / "language" / "grammar.lark").read_text(encoding="utf-8")
    keywords = set(re.findall(r'"([a-z_]+)"', grammar))
    assert not keywords & {"import", "include", "load", "open", "read", "exec", "eval", "fetch", "http", "file", "env"}
    # no loops, no recursion, no user functions: what a policy can call is the fixed table of builtins
    from iompolicy.language.builtins import BUILTINS

    assert set(BUILTINS) == {"max", "min", "round", "year", "len", "abs", "sum", "count", "default"}


def test_policy_code_is_generated_from_the_checked_policy_only():
    """The generated evaluator's source is written from compiled clauses alone (no document
    is a parameter of `generate`), and what it compiles is the source it wrote."""
    source = (PACKAGE / "evaluation" / "codegen.py").read_text(encoding="utf-8")
    assert "def generate(clauses, kind: str) -> Program:" in source
    generate = source[source.index("def generate("):source.index("class _Unset")]
    assert 'exec(compile(source, f"<iompolicy generated: {_comment(kind)}>", "exec"), namespace)' in generate


def test_schema_code_is_generated_from_schemas_only():
    """The fast validator's source comes from the schema alone: no document or policy text reaches `compile`."""
    source = (PACKAGE / "documents" / "validation.py").read_text(encoding="utf-8")
    generate = source[source.index("def generate("):source.index("class Validator")]
    # the schema, its refs in line, its choices of values of different types as anyOf
    assert 'compile_to_code(_exclusive_choices(_inlined(kind.schema, kind.schema.get("$defs", {})))' in generate
    assert "document" not in generate.split('"""')[2]  # the code after the docstring
