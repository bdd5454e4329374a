"""Regenerates the corpus files from dlt's own tests (a maintainer's tool; the tests read the files).

    .venv/bin/python tests/dlt/corpus/extract.py DLT_GIT_DIR

Reads dlt's ``tests/sources/rest_api`` and docs from a git directory of dlt's source without running
anything: every dict with ``client`` and ``resources`` is read with ``ast``. A dict of literals is
a *valid* config (or *invalid*, when dlt's test expects it to fail: see ``INVALID``); a dict that
names a parametrized argument is expanded once per literal ``pytest.mark.parametrize`` value; a dict
holding a Python object (a paginator/auth instance, a lambda, a function, a ``DltResource``, an
incremental object) goes to *python_only* as the source text a user would import. Real hosts and
vendor names are replaced by neutral ones (``neutral_text``).
"""

from __future__ import annotations

import ast
import collections
import contextlib
import hashlib
import itertools
import json
import re
import subprocess
import sys
import typing as t
from pathlib import Path

HERE = Path(__file__).parent
ROOT = "tests/sources/rest_api/"
#: a domain name in any text (a URL's host, or a name in a comment)
_DOMAIN = re.compile(r"\b(?:[A-Za-z0-9-]+\.)+(?:com|org|net|io|co|dev|app)\b")
_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
#: names the corpus must not carry, by the first 16 hex digits of the SHA-256 of their lowercase form
#: (so that this file names none either) -> the neutral word that replaces them
NEUTRAL_WORDS = {
    "c0b0109d9439de57": "codehost", "eaa2bded32cc585d": "creature", "4a142b6d1b360c04": "creatures",
    "ac739dccd121f712": "games", "996fc72ddada5862": "example", "6d9620987ef6bc25": "example-org",
    "abbea20e59bac738": "echo", "698eb1b7451b542c": "echo", "bc7551630a4af87c": "example-sources",
}


def _fingerprint(word: str) -> str:
    return hashlib.sha256(word.lower().encode()).hexdigest()[:16]


def _neutral_domain(match: re.Match[str]) -> str:
    domain = match.group(0)
    if domain == "example.com" or domain.endswith(".example.com"):
        return domain
    return f"h{_fingerprint(domain)[:6]}.example.com"  # stable: one real host, one neutral host


def _neutral_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _fingerprint(word) in NEUTRAL_WORDS:
        return NEUTRAL_WORDS[_fingerprint(word)]
    return "-".join(NEUTRAL_WORDS.get(_fingerprint(part), part) for part in word.split("-"))


def neutral_text(text: str) -> str:
    """``text`` with every real domain an example.com host and every listed name a neutral word."""
    return _WORD.sub(_neutral_word, _DOMAIN.sub(_neutral_domain, text))


def neutral(value: t.Any) -> t.Any:
    """A JSON value with every string (and key) neutral."""
    return json.loads(neutral_text(json.dumps(value)))


#: dlt's test ids-as-placeholders, replaced by the paginator the test injects (JSONLinkPaginator())
PLACEHOLDERS = {"__client_paginator__": "json_link", "__defaults_paginator__": "json_link",
                "__endpoint_paginator__": "json_link"}


class NotDataError(Exception):
    """The expression is not pure data."""

    def __init__(self, node: ast.AST, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


def evaluate(node: ast.expr, env: dict[str, t.Any]) -> t.Any:
    if isinstance(node, ast.Constant):
        return PLACEHOLDERS.get(node.value, node.value) if isinstance(node.value, str) else node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    if isinstance(node, ast.Dict):
        out: dict[str, t.Any] = {}
        for key, value in zip(node.keys, node.values, strict=False):
            if key is None:
                spread = evaluate(value, env)
                if not isinstance(spread, dict):
                    raise NotDataError(value, "a ** spread of a non-dict")
                out.update(spread)
            else:
                out[evaluate(key, env)] = evaluate(value, env)
        return out
    if isinstance(node, (ast.List, ast.Tuple)):
        return [evaluate(item, env) for item in node.elts]
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.Name) and node.id in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.id]
    raise NotDataError(node, ast.unparse(node)[:60])


def parametrizations(function: ast.FunctionDef) -> list[dict[str, t.Any]]:
    """Every literal combination of the function's parametrize decorators ([{}] when none)."""
    axes: list[list[dict[str, t.Any]]] = []
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize")):
            continue
        names_node, values_node = decorator.args[:2]
        if not isinstance(names_node, ast.Constant) or not isinstance(values_node, (ast.List, ast.Tuple)):
            continue
        names = [name.strip() for name in names_node.value.split(",")]
        axis = []
        for element in values_node.elts:
            item = element
            if isinstance(element, ast.Call) and ast.unparse(element.func).endswith("param"):
                item = element.args[0] if len(element.args) == 1 else ast.Tuple(elts=element.args)
            try:
                value = evaluate(item, {})
            except NotDataError:
                continue
            values = [value] if len(names) == 1 else list(value)
            axis.append(dict(zip(names, values, strict=False)))
        axes.append(axis)
    return [dict(collections.ChainMap(*combo)) for combo in itertools.product(*axes)] or [{}]


def enclosing_functions(tree: ast.Module) -> dict[int, ast.FunctionDef]:
    owner: dict[int, ast.FunctionDef] = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef):
            for node in ast.walk(function):
                owner.setdefault(id(node), function)
    return owner


def local_bindings(function: ast.FunctionDef) -> dict[str, t.Any]:
    """``name = <data>`` assignments in the function body."""
    env: dict[str, t.Any] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(NotDataError):
                env[node.targets[0].id] = evaluate(node.value, env)
    return env


def config_tests(tree: ast.Module) -> dict[int, str]:
    """dict node id -> dlt's expected message, for ``ConfigTest(expected_message=..., config={...})``."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "ConfigTest":
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            if isinstance(keywords.get("config"), ast.Dict):
                found[id(keywords["config"])] = ast.literal_eval(keywords["expected_message"])
    return found


def git_show(git: str, path: str) -> str:
    return subprocess.run(["git", "-C", git, "show", f"HEAD:{path}"], check=True, capture_output=True,
                          text=True).stdout


def scan(git: str) -> t.Iterator[dict[str, t.Any]]:
    files = subprocess.run(["git", "-C", git, "ls-tree", "-r", "--name-only", "HEAD", ROOT], check=True,
                           capture_output=True, text=True).stdout.split()
    for path in files:
        if not path.endswith(".py"):
            continue
        source = git_show(git, path)
        tree = ast.parse(source)
        owner = enclosing_functions(tree)
        expected = config_tests(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
            if not {"client", "resources"} <= keys and id(node) not in expected:
                continue
            function = owner.get(id(node))
            where = f"{path.removeprefix(ROOT)}:{node.lineno}"
            base = {"where": where, "function": function.name if function else None,
                    "raises": bool(function and "pytest.raises" in ast.unparse(function)) or id(node) in expected}
            if id(node) in expected:
                base["dlt_message"] = expected[id(node)]
            local = local_bindings(function) if function else {}
            envs = [{**local, **env} for env in (parametrizations(function) if function else [{}])]
            results = []
            for env in envs:
                try:
                    results.append(evaluate(node, env))
                except NotDataError as exc:
                    results.append(exc)
            datas = [r for r in results if not isinstance(r, NotDataError)]
            unique = []
            for data in datas:
                if data not in unique:
                    unique.append(data)
            if unique:
                for n, data in enumerate(unique):
                    yield {**base, "variant": n if len(unique) > 1 else None, "config": neutral(data)}
            else:
                segment = ast.get_source_segment(source, node) or ast.unparse(node)
                why = t.cast("NotDataError", results[0]).why
                yield {**base, "variant": None, "python": neutral_text(segment), "why": neutral_text(why)}


#: dlt tests that expect an error from a valid config only once requests fail (401, 404): still valid
FAILS_AT_RUNTIME = {"integration/test_offline.py:937", "integration/test_offline.py:1586",
                    "integration/test_response_actions.py:151"}
#: dlt's expected message for the configs its tests expect rejected (other than ConfigTest ones)
DLT_MESSAGES = {
    "configurations/test_auth_config.py:326": "DictValidationException: "
    "`{'type': 'bearer', 'location': 'header', 'token': 's*****t'}` (secret masked)",
    "configurations/test_resolve_config.py:374": "Multiple parent resources for resource `user_details`",
    "configurations/test_resolve_config.py:405": "Multiple parent resources for resource `user_details`",
    "configurations/test_resolve_config.py:525": "'nodes are in a cycle', ['chicken', 'egg', 'chicken']",
    "configurations/test_resolve_config.py:557": "'nodes are in a cycle', ['chicken', 'egg', 'chicken']",
    "integration/test_offline.py:670": "Resource `post_details` defines resolve params `['post_id']` that are "
    "not bound in path `posts`",
    "integration/test_offline.py:703": "Expression `unknown.posts.id` defined in `params` is not valid",
    "integration/test_offline.py:720": "Expression `unknown.posts.id` defined in `json` is not valid",
    "integration/test_offline.py:1706": "Cannot use both 'json' and 'data' parameters simultaneously",
}
#: dicts that are not a config a user writes: helpers whose parts come from their callers
NOT_CONFIGS = {"integration/test_response_actions.py:12": "a factory function's template; its callers pass "
               "Python hooks (the data-only callers' configs are in the corpus)"}
SOURCE_CONFIGS = "configurations/source_configs.py"


def partial_configs(git: str) -> t.Iterator[dict[str, t.Any]]:
    """dlt's paginator and auth configs (tested alone), each as the client's of a one-resource config."""
    tree = ast.parse(git_show(git, ROOT + SOURCE_CONFIGS))
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in ("PAGINATOR_TYPE_CONFIGS", "AUTH_TYPE_CONFIGS"):
            part = "paginator" if node.targets[0].id.startswith("PAGINATOR") else "auth"
            for item in t.cast("ast.List", node.value).elts:
                note = (" (dlt's test injects the missing credential fields from its secrets)"
                        if part == "auth" else "")
                yield {"where": f"{SOURCE_CONFIGS}:{item.lineno}", "function": node.targets[0].id,
                       "note": f"{node.targets[0].id} entry as client.{part}{note}",
                       "config": {"client": {"base_url": "https://api.example.com", part: evaluate(item, {})},
                                  "resources": ["posts"]}}
    for name in ("json_link", "json_response", "header_link", "header_cursor", "auto", "single_page", "cursor",
                 "offset", "page_number"):
        item = {"where": "configurations/test_paginator_config.py:38", "function": "test_paginator_shorthands",
                "note": f"paginator shorthand {name!r} (get_args(PaginatorType)) as client.paginator",
                "config": {"client": {"base_url": "https://api.example.com", "paginator": name},
                           "resources": ["posts"]}, "id": f"paginator_shorthand_{name}"}
        if name == "offset":  # dlt's test expects the offset shorthand to fail: it has no limit
            item.update(raises=True, dlt_message="ValueError naming offset: the offset paginator cannot be "
                        "instantiated from its shorthand (no limit)")
        yield item
    for name in ("bearer", "api_key", "http_basic", "oauth2_client_credentials"):
        yield {"where": "configurations/test_auth_config.py:43", "function": "test_auth_shorthands",
               "note": f"auth shorthand {name!r} (get_args(AuthType)); dlt's test takes every field from secrets",
               "config": {"client": {"base_url": "https://api.example.com", "auth": name}, "resources": ["posts"]},
               "id": f"auth_shorthand_{name}"}


DOCS = ("docs/website/docs/dlt-ecosystem/verified-sources/rest_api/basic.md",
        "docs/website/docs/dlt-ecosystem/verified-sources/rest_api/advanced.md",
        "docs/website/docs/tutorial/rest-api.md", "docs/website/docs/intro.md",
        "docs/examples/partial_loading/partial_loading.py")
#: the docs' own examples of a config dlt rejects -> what the docs say dlt answers
DOCS_INVALID = {"docs_basic_1428": "DictValidationException: resources[0] has the unexpected field params (the "
                "docs' example of a validation error: params belong inside endpoint)"}
_BLOCK = re.compile(r"```py(?:thon)?[^\n]*\n(.*?)```", re.DOTALL)


def docs_configs(git: str) -> t.Iterator[dict[str, t.Any]]:
    """Every config dict in dlt's docs' Python blocks, read as ``tap-generic-rest import`` reads it."""
    from tap_generic_rest.importers.dlt import PipelineImportError, _LiteralReader

    for path in DOCS:
        text = git_show(git, path)
        blocks = [(text, 1)] if path.endswith(".py") else [
            (match.group(1), text[:match.start()].count("\n") + 2) for match in _BLOCK.finditer(text)]
        for block, first_line in blocks:
            try:
                tree = ast.parse(block)
            except SyntaxError:
                continue
            reader = _LiteralReader(tree, Path(path))
            for node in ast.walk(tree):
                keys = {key.value for key in getattr(node, "keys", []) if isinstance(key, ast.Constant)}
                if not isinstance(node, ast.Dict) or not {"client", "resources"} <= keys:
                    continue
                where = f"{path}:{first_line + node.lineno - 1}"
                entry = {"id": "docs_" + Path(path).stem.replace("-", "_") + f"_{first_line + node.lineno - 1}",
                         "source": f"dlt {where}"}
                try:
                    config = neutral(reader.value(node))
                    if config["client"] == {}:  # elided (`# ...`) in the docs: a neutral client stands in
                        config["client"] = {"base_url": "https://api.example.com"}
                        entry["note"] = "client elided in the docs; a neutral base_url stands in"
                    yield {**entry, "config": config}
                except PipelineImportError as exc:
                    segment = ast.get_source_segment(block, node) or ast.unparse(node)
                    yield {**entry, "python_object": neutral_text(str(exc).split(": ", 1)[-1]),
                           "python": neutral_text(segment)}


def entry_id(item: dict[str, t.Any]) -> str:
    if "id" in item:
        return t.cast("str", item["id"])
    stem = Path(item["where"].split(":")[0]).stem.removeprefix("test_")
    variant = f"_{item['variant']}" if item.get("variant") is not None else ""
    return f"{stem}_{item['where'].split(':')[1]}{variant}"


def build(git: str) -> dict[str, list[dict[str, t.Any]]]:
    groups: dict[str, list[dict[str, t.Any]]] = {"valid": [], "invalid": [], "python_only": []}
    for item in [*scan(git), *partial_configs(git)]:
        if item["where"] in NOT_CONFIGS:
            continue
        entry = {"id": entry_id(item), "source": f"dlt tests/sources/rest_api/{item['where']}"
                 + (f" ({item['function']})" if item["function"] else "")}
        if item.get("note"):
            entry["note"] = item["note"]
        if "python" in item:
            groups["python_only"].append({**entry, "python_object": item["why"], "python": item["python"]})
        elif item.get("raises") and item["where"] not in FAILS_AT_RUNTIME:
            message = item.get("dlt_message") or DLT_MESSAGES[item["where"]]
            groups["invalid"].append({**entry, "dlt_message": message, "config": item["config"]})
        else:
            groups["valid"].append({**entry, "config": item["config"]})
    groups["docs"] = []
    for entry in docs_configs(git):
        if entry["id"] in DOCS_INVALID:
            groups["invalid"].append({**entry, "dlt_message": DOCS_INVALID[entry["id"]]})
        else:
            groups["python_only" if "python" in entry else "docs"].append(entry)
    for entries in groups.values():
        entries.sort(key=lambda entry: entry["id"])
    return groups


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: extract.py DLT_GIT_DIR (a clone or mirror of dlt's source)")
    git_dir = sys.argv[1]
    commit = subprocess.run(["git", "-C", git_dir, "rev-parse", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    for group, entries in build(git_dir).items():
        document = {"from": f"dlt's tests and docs at commit {commit}, extracted by tests/dlt/corpus/extract.py",
                    "entries": entries}
        (HERE / f"{group}.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(group, len(entries))
