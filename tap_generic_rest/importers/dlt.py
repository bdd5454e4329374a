"""``tap-generic-rest import PIPELINE.py``: a dlt pipeline's ``rest_api`` config as a description.

The file is parsed, never run. The config is the dict passed to ``rest_api_source(...)`` or
``rest_api_resources(...)`` (directly, or a variable passed by name), else a variable annotated
``RESTAPIConfig`` or built with ``RESTAPIConfig(...)``. Only literals are read: strings, numbers,
booleans, ``None``, dicts, lists, tuples, f-strings of those, and names bound to literals. dlt's
secret and config look-ups become setting references: ``dlt.secrets["api_key"]`` and
``dlt.config["api_key"]`` give ``{{ config.api_key }}`` (a dotted key keeps its last part), and
``dlt.secrets.value`` gives the setting named by the parameter or dict key that holds it. Anything
else (a call, a lambda, an operator) is refused with one line naming its line number.
"""

from __future__ import annotations

import ast
import re
import typing as t

import yaml

from tap_generic_rest.errors import UserError
from tap_generic_rest.importers.dlt_refusals import describe, name_of, python_only
from tap_generic_rest.importers.files import read_source

if t.TYPE_CHECKING:
    from pathlib import Path

SOURCE_FUNCTIONS = ("rest_api_source", "rest_api_resources")
CONFIG_TYPE = "RESTAPIConfig"
_LOOKUPS = ("secrets", "config")
_SETTING = re.compile(r"[^A-Za-z0-9_]")
_REFERENCE = re.compile(r"\{\{ config\.(\w+) \}\}")


class PipelineImportError(UserError):
    """The pipeline file cannot be imported; the message names the file and line."""


def import_pipeline(path: Path) -> dict[str, t.Any]:
    """The ``rest_api`` config literal of the dlt pipeline file at ``path``."""
    source = read_source(path, PipelineImportError)
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise PipelineImportError(f"{path}:{exc.lineno}: not valid Python: {exc.msg}") from None
    reader = _LiteralReader(tree, path)
    node = _find_config(tree, reader)
    if node is None:
        msg = (f"{path}: no rest_api config found: pass a dict literal to rest_api_source(...) or "
               f"rest_api_resources(...), or annotate a dict variable with {CONFIG_TYPE}")
        raise PipelineImportError(msg)
    config = reader.value(node)
    if not isinstance(config, dict):
        raise reader.refuse(node, "the rest_api config must be a dict")
    return config


def setting_references(config: object) -> list[str]:
    """The settings the imported config refers to (``{{ config.x }}``), in first-seen order."""
    if isinstance(config, dict):
        return list(dict.fromkeys(name for value in config.values() for name in setting_references(value)))
    if isinstance(config, list):
        return list(dict.fromkeys(name for value in config for name in setting_references(value)))
    return _REFERENCE.findall(config) if isinstance(config, str) else []


def to_yaml(config: dict[str, t.Any], origin: Path) -> str:
    """The description as YAML, with a header naming where it came from."""
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
    return f"# imported from {origin.name} by `tap-generic-rest import`\n{body}"


def _find_config(tree: ast.Module, reader: _LiteralReader) -> ast.expr | None:
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and name_of(node.func) in SOURCE_FUNCTIONS]
    for call in sorted(calls, key=lambda node: node.lineno):
        argument = call.args[0] if call.args else next(
            (kw.value for kw in call.keywords if kw.arg == "config"), None)
        if argument is not None:
            return reader.resolve(argument)
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and node.value is not None and name_of(node.annotation) == CONFIG_TYPE:
            return node.value
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and name_of(node.value.func) == CONFIG_TYPE:
            return node.value
    return None


class _LiteralReader:
    """Turns literal expressions into Python values; refuses everything else with its line."""

    def __init__(self, tree: ast.Module, path: Path) -> None:
        self.path = path
        self._resolving: set[str] = set()
        self.bindings: dict[str, list[ast.expr]] = {}
        self.lookup_params: dict[str, str] = {}  # parameter name -> setting (default dlt.secrets.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.bindings.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.bindings.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._read_parameters(node.args)

    def _read_parameters(self, args: ast.arguments) -> None:
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
        pairs += [(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True) if default]
        for arg, default in pairs:
            if _lookup_kind(default) == "value":
                self.lookup_params[arg.arg] = arg.arg

    def refuse(self, node: ast.AST, what: str) -> PipelineImportError:
        """The one-line error for ``node``."""
        line = getattr(node, "lineno", "?")
        reads = "the importer reads literals only (the file is not run)"
        return PipelineImportError(f"{self.path}:{line}: {what}; {reads}")

    def resolve(self, node: ast.expr) -> ast.expr:
        """The expression a name passed as the config is bound to (the last binding)."""
        if isinstance(node, ast.Name) and node.id in self.bindings:
            return self.bindings[node.id][-1]
        return node

    def value(self, node: ast.expr, key: str | None = None) -> t.Any:
        """The Python value of the literal ``node`` (``key``: the dict key that holds it)."""
        if isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, complex, type(...))):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
                and isinstance(number := node.operand.value, (int, float)) and not isinstance(number, bool):
            return -number
        if isinstance(node, ast.Dict):
            return self._dict(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item, key) for item in node.elts]
        if isinstance(node, ast.JoinedStr):
            return "".join(self._text(part) for part in node.values)
        if isinstance(node, ast.Call) and name_of(node.func) == CONFIG_TYPE:
            if node.args:
                raise self.refuse(node, f"{CONFIG_TYPE}(...) takes keyword arguments only")
            return {kw.arg: self.value(kw.value, kw.arg) for kw in node.keywords if kw.arg}
        setting = self._setting(node, key)
        if setting is not None:
            return "{{ config." + setting + " }}"
        if isinstance(node, ast.Name):
            if node.id in self.bindings and node.id not in self._resolving:
                self._resolving.add(node.id)
                try:
                    return self.value(self.bindings[node.id][-1], key)
                finally:
                    self._resolving.discard(node.id)
            raise self.refuse(node, f"the name {node.id!r} is Python, not data (not bound to a literal in this "
                              f"file){python_only(node, key)}")
        raise self.refuse(node, f"{describe(node)} is Python, not data{python_only(node, key)}")

    def _dict(self, node: ast.Dict) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                raise self.refuse(value_node, "a ** spread in a dict is not a literal")
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.refuse(key_node, f"the dict key {key!r} is not a string")
            result[key] = self.value(value_node, key)
        return result

    def _text(self, part: ast.expr) -> str:
        if isinstance(part, ast.Constant):
            return str(part.value)
        if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion == -1:
            value = self.value(part.value)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return str(value)
        raise self.refuse(part, "an f-string part that is not a plain literal value")

    def _setting(self, node: ast.expr, key: str | None) -> str | None:
        """The setting a dlt secret/config look-up refers to, or None when ``node`` is not one."""
        kind = _lookup_kind(node)
        if kind == "value":
            if key is None:
                raise self.refuse(node, "dlt.secrets.value outside a dict key or parameter names no setting")
            return _setting_name(key)
        if kind == "item":
            assert isinstance(node, ast.Subscript)
            name = node.slice
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                raise self.refuse(node, "a dlt.secrets[...] / dlt.config[...] key must be a string literal")
            return _setting_name(name.value)
        if isinstance(node, ast.Name) and node.id in self.lookup_params and node.id not in self.bindings:
            return _setting_name(self.lookup_params[node.id])
        return None


def _lookup_kind(node: ast.expr) -> str | None:
    """``"item"`` for ``dlt.secrets["x"]``/``dlt.config["x"]``, ``"value"`` for ``dlt.secrets.value``."""
    if isinstance(node, ast.Subscript) and _is_lookup(node.value):
        return "item"
    if isinstance(node, ast.Attribute) and node.attr == "value" and _is_lookup(node.value):
        return "value"
    return None


def _is_lookup(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in _LOOKUPS
            and isinstance(node.value, ast.Name) and node.value.id == "dlt")


def _setting_name(key: str) -> str:
    return _SETTING.sub("_", key.rsplit(".", 1)[-1])
