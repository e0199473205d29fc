"""The policy language: policy text to checked syntax (the cold path; its result is cached).

`source` (text and spans) -> `parser` (Lark, `grammar.lark`) -> `build` (parse tree to the
immutable nodes of `syntax`) -> `checker` (names and types, against the kinds' schemas read
by `schemas` as `shapes`, and the functions of `builtins`). `unparse` writes nodes back as text.
"""
