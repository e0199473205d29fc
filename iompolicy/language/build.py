"""Parse tree to immutable nodes, with the structural errors of a policy file."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from . import syntax as n
from .parser import PolicySyntaxError, parse
from .parameters import values_hint
from .source import Diagnostic, SourceFile, Span
from ..limits import MAX_NUMBER_DIGITS
from ..values import EXACT, format_value

MAX_NESTING = 64  # deeper expressions are refused: no policy needs them, and they cost stack


class _Lowering:
    def __init__(self, source: SourceFile, offset: int = 0):
        self.source = source
        self.offset = offset
        self.diagnostics: list[Diagnostic] = []
        self.too_deep_reported = False

    # ---- spans and errors ---------------------------------------------------------
    def span(self, item) -> Span:
        if hasattr(item, "meta"):
            start, end = item.meta.start_pos, item.meta.end_pos
        else:
            start, end = item.start_pos, item.end_pos
        return Span.of(self.source, self.offset + start, self.offset + end)

    def error(self, code: str, message: str, item, hint: str | None = None) -> None:
        span = item if isinstance(item, Span) else self.span(item)
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    # ---- declarations ------------------------------------------------------------
    def file(self, tree) -> n.PolicyFile | None:
        header = None
        bindings: list[n.Binding] = []
        clauses: list[n.Clause] = []
        parameters: list[n.Parameter] = []
        for item in tree.children:
            kind = item.data
            if kind == "param_decl":
                parameters.append(self.parameter(item))
            elif kind == "policy_decl":
                if header is not None:
                    self.error("duplicate_policy", "a file holds one `policy` block; this is the second", item)
                    continue
                header = self.policy(item)
            elif kind in ("const_decl", "let_decl"):
                name, expr = item.children
                bindings.append(n.Binding(str(name), self.expr(expr), kind == "const_decl", self.span(item)))
            else:
                clause = self.clause(item)
                if clause is not None:
                    clauses.append(clause)
        if header is None:
            self.error(
                "missing_policy", "this file has no `policy` block", Span.of(self.source, 0, 0),
                "start the file with `policy ID { title \"...\" source \"...\" applies to KIND }`",
            )
            return None
        return n.PolicyFile(self.source.name, header, tuple(bindings), tuple(clauses), tuple(parameters))

    def fields(self, block, allowed_repeats: set[str], first: int = 1) -> dict[str, list]:
        """The fields of a block by name (those from child `first` on), reporting any written twice."""
        found: dict[str, list] = {}
        for field in block.children[first:]:
            name = field.data.removeprefix("field_")
            if name in found and name not in allowed_repeats:
                self.error("duplicate_field", f"`{name}` is written twice in this block", field)
                continue
            found.setdefault(name, []).append(field)
        return found

    def policy(self, tree) -> n.PolicyHeader:
        policy_id = str(tree.children[0])
        found = self.fields(tree, set())
        for required in ("title", "source", "kind"):
            if required not in found:
                words = "applies to KIND" if required == "kind" else f'{required} "..."'
                self.error("missing_field", f"policy `{policy_id}` has no `{words}`", tree.children[0])
        start, until = self.dates(found, tree)
        return n.PolicyHeader(
            id=policy_id,
            title=self.text_field(found, "title") or "",
            source=self.text_field(found, "source") or "",
            kind=str(found["kind"][0].children[0]) if "kind" in found else "",
            version=self.text_field(found, "version"),
            effective_from=start,
            effective_until=until,
            span=self.span(tree.children[0]),
        )

    def parameter(self, tree) -> n.Parameter:
        """`param NAME { title, cite, value "v" "what it means" (one or more), default "v" }`."""
        name_token = tree.children[1]
        name, name_span = str(name_token), self.span(name_token)
        found = self.fields(tree, {"value"}, first=2)
        if "title" not in found:
            self.error("missing_field", f'parameter `{name}` has no `title "..."`', name_span)
        values: list[tuple[str, str]] = []
        for field in found.get("value", ()):
            value = self.string(field.children[0])
            if value in dict(values):
                self.error("bad_parameter", f"parameter `{name}` lists the value `{value}` twice", field)
                continue
            values.append((value, self.joined(field.children[1])))
        if not values:
            self.error("bad_parameter", f"parameter `{name}` has no `value \"...\" \"what it means\"`", name_span,
                       "list each reading the parameter may take, with what it means")
        default = self.string(found["default"][0].children[0]) if "default" in found else ""
        if "default" not in found:
            self.error("bad_parameter", f"parameter `{name}` has no `default \"...\"`", name_span,
                       "name the reading used when none is chosen")
        elif values and default not in dict(values):
            self.error("bad_parameter", f"the default `{default}` of parameter `{name}` is not one of its values",
                       found["default"][0], values_hint(default, [v for v, _ in values]))
        return n.Parameter(name, self.text_field(found, "title") or "", self.text_field(found, "cite"),
                           tuple(values), default, name_span)

    def clause(self, tree) -> n.Clause | None:
        clause_id = str(tree.children[0])
        id_span = self.span(tree.children[0])
        found = self.fields(tree, {"when", "require", "let"})
        for required in ("title", "cite", "quote"):
            if required not in found:
                self.error("missing_field", f'clause `{clause_id}` has no `{required} "..."`', id_span)
        if "must" in found and "should" in found:
            self.error("conflicting_modality", f"clause `{clause_id}` says both `must` and `should`", found["should"][0])
        elif "must" not in found and "should" not in found:
            self.error(
                "missing_modality", f"clause `{clause_id}` says neither `must` nor `should`", id_span,
                "write `must` for a binding rule (error) or `should` for a recommendation (warning)",
            )
        if "require" not in found:
            self.error("no_require", f"clause `{clause_id}` has no `require`", id_span,
                       "a clause needs at least one `require CONDITION`")
        start, until = self.dates(found, tree)
        lets = tuple(
            n.Binding(str(f.children[0]), self.expr(f.children[1]), False, self.span(f))
            for f in found.get("let", ())
        )
        message = self.template(found["message"][0].children[0]) if "message" in found else None
        return n.Clause(
            id=clause_id,
            title=self.text_field(found, "title") or "",
            cite=self.text_field(found, "cite") or "",
            quote=self.text_field(found, "quote") or "",
            note=self.text_field(found, "note"),
            modality="should" if "should" in found else "must",
            guards=tuple(self.expr(f.children[0]) for f in found.get("when", ())),
            requires=tuple(self.expr(f.children[0]) for f in found.get("require", ())),
            lets=lets,
            message=message,
            effective_from=start,
            effective_until=until,
            span=id_span,
        )

    def dates(self, found, tree) -> tuple[dt.date | None, dt.date | None]:
        start = self.date(found["from"][0].children[0]) if "from" in found else None
        until = self.date(found["until"][0].children[0]) if "until" in found else None
        if start and until and until < start:
            self.error("bad_dates", f"`until {until}` is before `from {start}`", found["until"][0])
        return start, until

    def text_field(self, found, name: str) -> str | None:
        if name not in found:
            return None
        return self.joined(found[name][0].children[0])

    def joined(self, text_tree) -> str:
        """Adjacent strings joined, white space normalised: a quote may be wrapped over lines."""
        joined = "".join(self.string(token) for token in text_tree.children)
        return " ".join(joined.split())

    # ---- literals --------------------------------------------------------------------
    def string(self, token) -> str:
        return self.unescape(str(token), token)

    def unescape(self, raw: str, where) -> str:
        try:
            return json.loads(raw.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t"))
        except ValueError:
            self.error("bad_string", "this string has an escape other than `\\\"`, `\\\\`, `\\n`, `\\t` or `\\uXXXX`", where)
            return raw[1:-1]

    def date(self, token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.error("bad_date", f"`{token}` is not a calendar date", token, "dates are written YYYY-MM-DD")
            return dt.date(1, 1, 1)

    def number(self, token, text: str | None = None) -> int | Decimal:
        text = (str(token) if text is None else text).replace("_", "")
        if len(text.replace(".", "")) > MAX_NUMBER_DIGITS:  # as in documents; and int() refuses 4,300 digits
            self.error("bad_number", f"this number has more than {MAX_NUMBER_DIGITS} digits", token)
            return 0
        return Decimal(text) if "." in text else int(text)

    def template(self, token) -> n.Template:
        """Split `"... {expr} ..."` into text and parsed expressions."""
        raw = str(token)
        parts: list = []
        i, start, literal = 1, 1, ""
        while i < len(raw) - 1:
            ch = raw[i]
            if ch in "{}" and raw[i + 1:i + 2] == ch:
                literal += raw[start:i + 1]
                i += 2
                start = i
            elif ch == "{":
                close = raw.find("}", i)
                if close < 0 or close >= len(raw) - 1:
                    self.error("bad_template", "`{` without a closing `}` in this message", self.token_span(token, i, i + 1),
                               "write `{{` for a brace itself")
                    break
                literal += raw[start:i]
                if literal:
                    parts.append(self.decode(literal, token))
                literal = ""
                parts.append(self.hole(token, i + 1, close))
                i = start = close + 1
            else:
                i += 1
        literal += raw[start:len(raw) - 1]
        if literal:
            parts.append(self.decode(literal, token))
        return n.Template(tuple(parts), self.span(token))

    def decode(self, literal: str, token) -> str:
        return self.unescape('"' + literal + '"', token)

    def token_span(self, token, start: int, end: int) -> Span:
        return Span.of(self.source, self.offset + token.start_pos + start, self.offset + token.start_pos + end)

    def hole(self, token, start: int, end: int):
        raw = str(token)[start:end]
        # A hole is written inside a string, so its own strings are escaped (\"FRA\");
        # positions stay exact when there is nothing to unescape.
        text = self.unescape('"' + raw + '"', token) if "\\" in raw else raw
        offset = self.offset + token.start_pos + start
        try:
            tree = parse(self.source, start="expr", offset=offset, text=text, end_word="`}` (the end of the hole)")
        except PolicySyntaxError as error:
            self.diagnostics.append(error.diagnostic)
            return n.Literal(None, "null", "null")
        inner = _Lowering(self.source, offset)
        expr = inner.expr(tree)
        self.diagnostics.extend(inner.diagnostics)
        return expr

    # ---- expressions ---------------------------------------------------------------------
    def expr(self, tree, depth: int = 0):
        if depth == 0:
            self.too_deep_reported = False
        if depth > MAX_NESTING:
            if not self.too_deep_reported:  # once per expression, not once per branch
                self.error("too_deep", f"this expression is nested more than {MAX_NESTING} levels deep", tree)
                self.too_deep_reported = True
            return n.Literal(None, "invalid", "...", self.span(tree))
        handler = getattr(self, "rule_" + tree.data)  # rule_<grammar rule>: one method per rule of grammar.lark
        return handler(tree, self.span(tree), depth + 1)

    def rule_number(self, tree, span, depth):
        token = tree.children[0]
        value = self.number(token)
        return n.Literal(value, "number", format_value(value), span)

    def rule_percent(self, tree, span, depth):
        text = str(tree.children[0])
        value = EXACT.divide(Decimal(self.number(tree.children[0], text[:-1])), 100)
        return n.Literal(value, "percent", text.replace("_", ""), span)

    def rule_money(self, tree, span, depth):
        currency, amount = tree.children
        value = self.number(amount)
        return n.Literal(value, "money", f"{currency} {format_value(value)}", span)

    def rule_money_suffix(self, tree, span, depth):
        amount, currency = tree.children
        value = self.number(amount)
        return n.Literal(value, "money", f"{currency} {format_value(value)}", span)

    def rule_date(self, tree, span, depth):
        value = self.date(tree.children[0])
        return n.Literal(value, "date", str(tree.children[0]), span)

    def rule_string(self, tree, span, depth):
        value = self.string(tree.children[0])
        return n.Literal(value, "string", json.dumps(value, ensure_ascii=False), span)

    def rule_true(self, tree, span, depth):
        return n.Literal(True, "bool", "true", span)

    def rule_false(self, tree, span, depth):
        return n.Literal(False, "bool", "false", span)

    def rule_null(self, tree, span, depth):
        return n.Literal(None, "null", "null", span)

    def rule_name(self, tree, span, depth):
        return n.Name(str(tree.children[0]), span)

    def rule_data_ref(self, tree, span, depth):
        return n.DataRef(str(tree.children[1]), span)

    def rule_param_ref(self, tree, span, depth):
        return n.ParamRef(str(tree.children[1]), span)

    def rule_attribute(self, tree, span, depth):
        obj, name = tree.children
        return n.Attribute(self.expr(obj, depth), str(name), span)

    def rule_index(self, tree, span, depth):
        obj, index = tree.children
        return n.Index(self.expr(obj, depth), self.expr(index, depth), span)

    def rule_list_literal(self, tree, span, depth):
        items = tuple(self.expr(c, depth) for c in tree.children if c is not None)
        return n.ListLiteral(items, span)

    def rule_call(self, tree, span, depth):
        func, *args = tree.children
        return n.Call(str(func), tuple(self.expr(a, depth) for a in args if a is not None), span)

    def rule_aggregate(self, tree, span, depth):
        func, value, var, source, where = tree.children
        return n.Aggregate(
            str(func), self.expr(value, depth), str(var), self.expr(source, depth),
            None if where is None else self.expr(where, depth), span,
        )

    def rule_quantified(self, tree, span, depth):
        quantifier, var, source, where, body = tree.children
        word = str(quantifier.children[0])
        where = None if where is None else self.expr(where, depth)
        return n.Quantified(word, str(var), self.expr(source, depth), where, self.expr(body, depth), span)

    def rule_conditional(self, tree, span, depth):
        cond, then, otherwise = (self.expr(c, depth) for c in tree.children)
        return n.Conditional(cond, then, otherwise, span)

    def rule_arith(self, tree, span, depth):
        left, op, right = tree.children
        return n.Arithmetic(str(op), self.expr(left, depth), self.expr(right, depth), span)

    def rule_negate(self, tree, span, depth):
        return n.Negate(self.expr(tree.children[0], depth), span)

    def rule_compare(self, tree, span, depth):
        left, op, right = tree.children
        return n.Compare(str(op), self.expr(left, depth), self.expr(right, depth), span)

    def rule_in_op(self, tree, span, depth):
        item, container = tree.children
        return n.Membership(self.expr(item, depth), self.expr(container, depth), False, span)

    def rule_not_in_op(self, tree, span, depth):
        item, container = tree.children
        return n.Membership(self.expr(item, depth), self.expr(container, depth), True, span)

    def _presence(test):
        def handler(self, tree, span, depth):
            return n.Presence(self.expr(tree.children[0], depth), test, span)

        return handler

    rule_exists_op = _presence("exists")
    rule_missing_op = _presence("missing")
    rule_is_null_op = _presence("null")
    rule_is_not_null_op = _presence("not_null")

    def rule_and_op(self, tree, span, depth):
        left, right = tree.children
        return n.And(self.expr(left, depth), self.expr(right, depth), span)

    def rule_or_op(self, tree, span, depth):
        left, right = tree.children
        return n.Or(self.expr(left, depth), self.expr(right, depth), span)

    def rule_not_op(self, tree, span, depth):
        return n.Not(self.expr(tree.children[0], depth), span)


def build_file(source: SourceFile) -> tuple[n.PolicyFile | None, list[Diagnostic]]:
    """Parse one policy file and build its syntax; returns the file (if usable) and its diagnostics."""
    try:
        tree = parse(source)
    except PolicySyntaxError as error:
        return None, [error.diagnostic]
    lowering = _Lowering(source)
    policy_file = lowering.file(tree)
    return policy_file, lowering.diagnostics
