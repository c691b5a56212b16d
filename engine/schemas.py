"""JSON Schemas of run data and task forms: the only place they are checked and applied.

A definition is data, never a place to fetch from. So a schema may only refer
to itself: every ``$ref`` is resolved against an empty ``referencing``
registry that has no retriever, when the schema is saved (``check_schema``)
and again when data is validated (``validate``), so ``file://`` and
``http://`` references are refused and never read. ``pattern`` and
``patternProperties`` are matched with RE2, which runs in linear time, so a
pattern like ``^(a+)+$`` cannot stall a worker; patterns RE2 cannot compile
(look-around, back-references) are refused when the schema is saved.

Nothing here imports Django: services, serializers, forms and the import
format all call these functions.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

import jsonschema
import re2
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema.exceptions import best_match

DEFAULT_DRAFT = jsonschema.Draft202012Validator
MAX_PROBLEMS = 20
MAX_ERRORS = 50

# Keywords whose value is one subschema, a list of them, or a name -> subschema map,
# over every draft jsonschema knows (3 to 2020-12).
_ONE = (
    "additionalItems",
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "extends",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems", "items", "extends")
_MAP = (
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
    "patternProperties",
    "properties",
)
_REFS = ("$ref", "$dynamicRef", "$recursiveRef")
# Keywords that name a resource, a draft or an anchor.
_NAMES = ("$id", "$schema", "$anchor", "$dynamicAnchor")
# Keywords that apply their subschemas to the same value (not to an item or a property).
_IN_PLACE = {
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependencies",
    "extends",
}


class SchemaProblem(ValueError):
    """A schema that cannot be used; ``problems`` lists what is wrong, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# Patterns ---------------------------------------------------------------------


def _re2_options() -> re2.Options:
    options = re2.Options()
    # RE2 otherwise prints every refused pattern to stderr.
    options.log_errors = False
    return options


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (linear-time matching); raises ValueError if RE2 refuses it."""
    try:
        return re2.compile(pattern, _re2_options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(
            f"pattern {pattern!r} cannot be used: {reason}. Patterns are matched in "
            "linear time (RE2), which has no look-ahead, look-behind or back-references."
        ) from None


def _pattern_keyword(validator, pattern, instance, schema) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties_keyword(validator, patterns, instance, schema) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_pattern(pattern)
        for name, value in instance.items():
            if compiled.search(name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


# Formats ----------------------------------------------------------------------


def _is_email(value: object) -> bool:
    # jsonschema only asks for an "@"; ask for one name, one "@" and a domain with no spaces.
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in value)


def _format_checker(validator_class: type) -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = dict(validator_class.FORMAT_CHECKER.checkers)
    checker.checks("email")(_is_email)
    checker.checks("idn-email")(_is_email)
    return checker


@cache
def _safe_validator_class(validator_class: type) -> tuple[type, jsonschema.FormatChecker]:
    """The draft's validator with RE2 patterns, and its format checker."""
    safe = jsonschema.validators.extend(
        validator_class,
        {"pattern": _pattern_keyword, "patternProperties": _pattern_properties_keyword},
    )
    return safe, _format_checker(validator_class)


# Checking a schema ------------------------------------------------------------


def _draft(schema: dict) -> tuple[type | None, str]:
    """The validator class of the schema's declared ``$schema`` (2020-12 if none)."""
    if "$schema" not in schema:
        return DEFAULT_DRAFT, ""
    declared = schema["$schema"]
    if not isinstance(declared, str):
        return None, "$schema must be the URI of a JSON Schema draft (text)."
    found = jsonschema.validators.validator_for(schema, default=None)
    if found is None:
        return None, (
            f"$schema {declared!r} is not a JSON Schema draft Waymark knows: leave it out "
            "(2020-12 is the default) or name draft 2020-12, 2019-09, 7, 6, 4 or 3."
        )
    return found, ""


def _where(path: list) -> str:
    return ".".join(str(p) for p in path) or "(top)"


def _meta_problems(validator_class: type, schema: dict) -> list[str]:
    """Problems of the schema against its draft's meta-schema (formats left to RE2 below)."""
    meta = validator_class.META_SCHEMA
    meta_class = jsonschema.validators.validator_for(meta, default=validator_class)
    errors = sorted(
        meta_class(meta).iter_errors(schema), key=lambda e: [str(p) for p in e.absolute_path]
    )
    problems = []
    for error in errors[:MAX_PROBLEMS]:
        shown = _clearest(error)
        problems.append(_at(_where(list(shown.absolute_path)), shown.message))
    return problems


def _clearest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For "not valid under any of the given schemas", the alternative that lists choices."""
    if error.validator in ("anyOf", "oneOf"):
        for alternative in error.context or ():
            if alternative.validator == "enum":
                return alternative
    return best_match([error]) or error


def _subschemas(schema: dict, path: list) -> Iterator[tuple[Any, list]]:
    for name in _ONE:
        if isinstance(schema.get(name), dict):
            yield schema[name], [*path, name]
    for name in _MANY:
        if isinstance(schema.get(name), list):
            for i, item in enumerate(schema[name]):
                yield item, [*path, name, i]
    for name in _MAP:
        if isinstance(schema.get(name), dict):
            for key, item in schema[name].items():
                yield item, [*path, name, key]


def _ref_problem(ref: str, where: str) -> str:
    if ref.startswith("#"):
        problem = (
            f"$ref {ref!r} does not point at anything in this schema: "
            "add what it names (e.g. under $defs) or correct the reference."
        )
    else:
        problem = (
            f"$ref {ref!r} points outside this schema: only references inside "
            "the schema (#/...) are allowed."
        )
    return _at(where, problem)


def _at(where: str, problem: str) -> str:
    return problem if where == "(top)" else f"{where}: {problem}"


class _Walk:
    """Checks the references and patterns of a schema and of every subschema.

    It also keeps the edges along which a validator stays on the same piece of
    data ($ref, allOf, not, if, ...): a loop of those would never end.
    """

    def __init__(self, validator_class: type) -> None:
        self.validator_class = validator_class
        old_drafts = (jsonschema.Draft3Validator, jsonschema.Draft4Validator)
        self.names = _NAMES + (("id",) if validator_class in old_drafts else ())
        self.problems: list[str] = []
        self.seen: set[int] = set()
        self.in_place: dict[int, list[tuple[int, str]]] = {}

    def schema(self, schema: dict, path: list, resolver, spec) -> None:
        if id(schema) in self.seen or len(self.problems) >= MAX_PROBLEMS:
            return
        self.seen.add(id(schema))
        # Keywords that name a place are read while resolving: they must be text.
        for keyword in self.names:
            if keyword in schema and not isinstance(schema[keyword], str):
                self.problems.append(_at(_where(path), f"{keyword} must be text."))
                return
        declared = schema.get("$schema")
        # An embedded resource may declare its own draft; otherwise it keeps its parent's.
        try:
            spec = spec.detect(schema)
        except referencing.jsonschema.UnknownDialect:
            self.problems.append(_at(_where(path), f"$schema {declared!r} is not a known draft."))
            return
        resolver = resolver.in_subresource(spec.create_resource(schema))
        for keyword in _REFS:
            ref = schema.get(keyword)
            if isinstance(ref, str):
                self._reference(schema, ref, path, resolver, spec)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            self._pattern(pattern, _where([*path, "pattern"]))
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            for key in patterns:
                self._pattern(key, _where([*path, "patternProperties"]))
        for subschema, subpath in _subschemas(schema, path):
            if isinstance(subschema, dict):
                if subpath[len(path)] in _IN_PLACE:
                    self.in_place.setdefault(id(schema), []).append((id(subschema), ""))
                self.schema(subschema, subpath, resolver, spec)

    def _reference(self, schema: dict, ref: str, path: list, resolver, spec) -> None:
        try:
            resolved = resolver.lookup(ref)
        except referencing.exceptions.Unresolvable:
            self.problems.append(_ref_problem(ref, _where(path)))
            return
        if isinstance(resolved.contents, dict):
            self.in_place.setdefault(id(schema), []).append((id(resolved.contents), ref))
            if id(resolved.contents) in self.seen:
                return
            # A reference may point where no keyword leads (e.g. "#/x"), so the
            # meta-schema never saw it: check it as a schema of its own.
            where = f"({ref})"
            meta = _meta_problems(self.validator_class, resolved.contents)
            self.problems += [_at(where, problem) for problem in meta]
            if not meta:
                self.schema(resolved.contents, [where], resolved.resolver, spec)
        elif not isinstance(resolved.contents, bool):
            self.problems.append(_at(_where(path), f"$ref {ref!r} does not point at a schema."))

    def _pattern(self, pattern: str, where: str) -> None:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            self.problems.append(_at(where, str(exc)))

    def loop(self) -> list[str]:
        """The references of a loop that never goes into the data (empty: none)."""
        state: dict[int, str] = {}
        for start in list(self.in_place):
            if start in state:
                continue
            state[start] = "open"
            stack = [(start, iter(self.in_place.get(start, ())))]
            labels: list[str] = []  # labels[i]: the edge from stack[i] to stack[i + 1]
            while stack:
                node, edges = stack[-1]
                edge = next(edges, None)
                if edge is None:
                    state[node] = "done"
                    stack.pop()
                    if labels:
                        labels.pop()
                    continue
                child, label = edge
                if state.get(child) == "open":
                    back = [n for n, _ in stack].index(child)
                    return [ref for ref in [*labels[back:], label] if ref]
                if child not in state:
                    state[child] = "open"
                    stack.append((child, iter(self.in_place.get(child, ()))))
                    labels.append(label)
        return []


def check_schema(schema: Any) -> list[str]:
    """What is wrong with ``schema`` as a Waymark JSON Schema, one clear sentence each.

    Empty means usable: valid against its draft's meta-schema (2020-12 unless
    ``$schema`` names another), every reference resolves inside the schema,
    and every pattern compiles with RE2. Nothing is ever fetched.
    """
    if schema is None or schema == {}:
        return []
    if not isinstance(schema, dict):
        return ["A JSON Schema must be a JSON object ({...})."]
    try:
        json.dumps(schema, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return [f"The schema is not plain JSON: {exc}."]
    return list(_check_cached(json.dumps(schema, sort_keys=True)))


@lru_cache(maxsize=256)
def _check_cached(text: str) -> tuple[str, ...]:
    schema = json.loads(text)
    validator_class, problem = _draft(schema)
    if validator_class is None:
        return (problem,)
    try:
        problems = _meta_problems(validator_class, schema)
        if problems:
            return tuple(problems)
        specification = referencing.jsonschema.specification_with(
            validator_class.META_SCHEMA.get("$id") or validator_class.META_SCHEMA.get("id", ""),
            default=referencing.jsonschema.DRAFT202012,
        )
        root = specification.create_resource(schema)
        resolver = referencing.Registry().resolver_with_root(root)
        walk = _Walk(validator_class)
        walk.schema(schema, [], resolver, specification)
        found = walk.problems
        loop = walk.loop() if not found else []
        if loop:
            refs = ", ".join(repr(ref) for ref in loop)
            found.append(
                f"$ref {refs} {'loops' if len(loop) == 1 else 'loop'} back to where it started "
                "without going into the data: checking data against this schema would never end."
            )
    except RecursionError:
        return ("The schema is nested too deeply.",)
    return tuple(found[:MAX_PROBLEMS])


def require_valid_schema(schema: Any) -> None:
    """Raise SchemaProblem if ``check_schema`` finds anything (for pydantic and services)."""
    problems = check_schema(schema)
    if problems:
        raise SchemaProblem(problems)


# Applying a schema ------------------------------------------------------------


def apply_defaults(schema: Any, data: Any) -> Any:
    """``data`` with the ``default`` of each missing property filled in (a copy).

    Top-level properties, and the properties of nested objects that are
    present (or defaulted) in the data. References are not followed.
    """
    if not isinstance(schema, dict) or not isinstance(data, dict):
        return data
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return data
    filled = dict(data)
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        if name not in filled and "default" in spec:
            filled[name] = copy.deepcopy(spec["default"])
        if isinstance(filled.get(name), dict):
            filled[name] = apply_defaults(spec, filled[name])
    return filled


def validate(schema: Any, data: Any) -> list[dict[str, str]]:
    """Problems of ``data`` against ``schema`` as ``{"path", "message"}`` (empty: valid).

    A schema that cannot be used (saved before these checks existed) gives
    one problem that says so; it is never a reason to fetch anything or fail.
    """
    if not schema:
        return []
    problems = check_schema(schema)
    if problems:
        return [{"path": "", "message": f"the schema itself is invalid: {p}"} for p in problems]
    validator_class, _ = _draft(schema)
    safe_class, checker = _safe_validator_class(validator_class)
    validator = safe_class(schema, registry=referencing.Registry(), format_checker=checker)
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.path])
    except (referencing.exceptions.Unresolvable, ValueError) as exc:
        # Checked above, so only a schema built to slip past the walk gets here.
        return [{"path": "", "message": f"the schema itself is invalid: {exc}"}]
    except RecursionError:
        message = "the data is nested too deeply to be checked against this schema"
        return [{"path": "", "message": message}]
    return [{"path": _error_path(error), "message": error.message} for error in errors[:MAX_ERRORS]]


def _error_path(error: jsonschema.ValidationError) -> str:
    """Dotted path of the offending value; a missing property points at itself."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [
            name
            for name in error.validator_value
            if name not in error.instance and repr(name) in error.message
        ]
        parts += missing[:1]
    return ".".join(parts)


__all__ = [
    "SchemaProblem",
    "apply_defaults",
    "check_schema",
    "compile_pattern",
    "require_valid_schema",
    "validate",
]
