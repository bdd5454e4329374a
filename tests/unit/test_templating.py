"""The sandboxed Jinja2 templating of descriptions: native values, text, helpers, and the sandbox."""

from __future__ import annotations

import os
import typing as t

import pytest

from tap_generic_rest.description.load import load_description
from tap_generic_rest.expressions.templating import (
    Condition,
    Template,
    TemplateError,
    compile_string,
    compile_tree,
    format_datetime,
    referenced_slice_keys,
    render_tree,
)

if t.TYPE_CHECKING:
    from pathlib import Path

SECRET = "s3cr3t-api-key"
#: The seeds' search-body start point (seed 003, contacts and conversations).
SEED_START = "{{ stream_interval.get('start_time', {}) or format_datetime(config['start_date'], '%s') }}"


def variables(**overrides: t.Any) -> dict[str, t.Any]:
    """What the stream passes to templates."""
    return {
        "config": {"api_key": SECRET, "start_date": "2024-06-27T00:00:00Z"},
        "stream_slice": {"id": "378"},
        "parent": {"id": "378"},
        "stream_interval": {"start_time": None, "end_time": 1719500000},
        **overrides,
    }


def render(source: str, **overrides: t.Any) -> object:
    return Template(source).render(variables(**overrides))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ (config.n or 1) + 1 }}", 2),
        ("{{ (config.n or 1.5) }}", 1.5),
        ("{{ [1, stream_slice.id] }}", [1, "378"]),
        ("{{ {'a': stream_slice.id == '378'} }}", {"a": True}),
        ("{{ stream_slice.id }}", "378"),
        ("{{ stream_interval.start_time }}", None),
        ("{{ config['missing'] }}", None),
    ],
)
def test_single_expression_keeps_its_native_type(source: str, expected: object) -> None:
    result = render(source)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("/v1/conversations/{{ stream_slice.id }}", "/v1/conversations/378"),
        ("{{ stream_slice.id }}{{ stream_slice.id }}", "378378"),
        ("n={{ (config.n or 1) + 1 }}", "n=2"),
        ("  {{ stream_slice.id }}  ", "  378  "),
        ("{{ 'yes' if stream_slice.id else 'no' }}", "yes"),
        ("plain", "plain"),
    ],
)
def test_text_templates_render_to_strings(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "config", "interval", "expected"),
    [
        pytest.param(SEED_START, {"start_date": "2024-06-27T00:00:00Z"}, {}, 1719446400, id="start-date"),
        pytest.param(SEED_START, {}, {}, 0, id="no-start-date"),
        pytest.param(
            SEED_START,
            {"start_date": "2024-06-27T00:00:00Z"},
            {"start_time": 1719492780},
            1719492780,
            id="bookmark-wins",
        ),
        pytest.param("{{ stream_interval['start_time'] }}", {}, {"start_time": 1719446400}, 1719446400, id="start"),
        pytest.param("{{ stream_interval['end_time'] }}", {}, {"end_time": 1719500000}, 1719500000, id="end"),
    ],
)
def test_seed_expressions(source: str, config: dict[str, t.Any], interval: dict[str, t.Any], expected: int) -> None:
    assert render(source, config=config, stream_interval=interval) == expected


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2024-05-01T12:00:00Z", "%Y-%m-%dT%H:%M:%SZ", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00.999Z", "%s", 1714564800),
        ("2024-05-01T12:00:00", "%s", 1714564800),
        (1714564800, "%Y-%m-%d", "2024-05-01"),
        ("1714564800", "%Y-%m-%dT%H:%M:%SZ", "2024-05-01T12:00:00Z"),
        (None, "%s", 0),
        (None, "%Y-%m-%dT%H:%M:%SZ", "1970-01-01T00:00:00Z"),
        ("2024-05-01T14:00:00+02:00", "%s", 1714564800),
    ],
)
def test_format_datetime(value: object, fmt: str, expected: object) -> None:
    assert format_datetime(value, fmt) == expected


def test_format_datetime_converts_offsets_to_utc() -> None:
    assert format_datetime("2024-05-01T14:00:00+02:00") == "2024-05-01T12:00:00Z"


def test_format_datetime_rejects_garbage() -> None:
    with pytest.raises(TemplateError, match=r"^template \"\{\{ format_datetime\(config.x or 'soon'\) \}\}\" failed: "):
        render("{{ format_datetime(config.x or 'soon') }}")


def test_compile_and_render_tree() -> None:
    tree = compile_tree({"query": [{"value": "{{ stream_interval.end_time }}"}, "x"], "per_page": 150})
    assert render_tree(tree, variables()) == {"query": [{"value": 1719500000}, "x"], "per_page": 150}


def test_referenced_slice_keys() -> None:
    value = {
        "a": "{{ stream_slice.app_id }}",
        "b": ["{{ parent['src_id'] }}", "{{ config.api_key }}", "{x}"],
        "c": "{{ stream_slice[key] }}",  # not a constant: cannot be checked
        "d": 3,
        "e": "{{ broken",
    }
    assert referenced_slice_keys(value) == {"app_id", "src_id"}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"pages": {"next": None}}, True),
        ({"pages": {}}, True),
        ({}, True),
        ({"pages": {"next": "https://api.test/p2"}}, False),
    ],
)
def test_condition_from_seed(response: dict[str, t.Any], expected: bool) -> None:
    assert Condition("not response.get('pages', {}).get('next')")(response=response) is expected


def test_condition_syntax_error() -> None:
    with pytest.raises(TemplateError, match=r"^expression 'response\.\(' does not parse: "):
        Condition("response.(")


def test_template_syntax_error() -> None:
    with pytest.raises(
        TemplateError, match=r"^template '\{\{ config.x \+ \}\}' does not parse: unexpected 'end of template'$"
    ):
        Template("{{ config.x + }}")


HOSTILE = [
    "{{ ().__class__.__mro__ }}",
    "{{ config.__class__.__init__.__globals__ }}",
    "{{ ''.__class__.__subclasses__() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ range(10**9)|list }}",
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ [].append }}",
    "{{ [].append(1) }}",
    "{{ config.update(api_key='x') }}",
    "{{ config|attr('__class__') }}",
    "{{ format_datetime.__globals__ }}",
    "{{ format_datetime.__globals__['dt'] }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(config) }}",
    "x {{ self.__init__.__globals__ }}",
    "x {{ self._TemplateReference__context }}",
    "{{ namespace() }}",
    "{{ dict(a=1) }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os.environ }}",
    "{{ environ }}",
    "{{ open('/etc/passwd').read() }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_sandbox_refuses_hostile_templates(source: str) -> None:
    try:
        result = render(source)
    except TemplateError:
        return
    # no template variable named: literal text, never evaluated
    assert result in (None, "", "x ", source)


def test_sandbox_leaks_no_environment_or_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAP_UNIT_CANARY", "canary-value-7f3a")
    leaked = []
    for source in HOSTILE:
        try:
            leaked.append(str(render(source)))
        except TemplateError as exc:
            leaked.append(str(exc))
    text = "\n".join(leaked)
    assert "canary-value-7f3a" not in text
    assert "root:" not in text  # /etc/passwd
    assert os.environ["TAP_UNIT_CANARY"] == "canary-value-7f3a"


STATEMENTS = ["{% if x %}y{% endif %}", "{% for i in range(9) %}{% endfor %}", "{% include 'f' %}"]


@pytest.mark.parametrize("source", STATEMENTS)
def test_statements_are_literal_text(source: str) -> None:
    assert render(source) == source  # never executed


@pytest.mark.parametrize("source", ["{{ (config.n or 10) ** 5000 }}", "{{ 'x' * (config.n or 10) ** 7 }}",
                                    "{{ [0] * (config.n or 10) ** 7 }}"])
def test_resource_bombs_are_refused(source: str) -> None:
    with pytest.raises(TemplateError, match=r"is not allowed"):
        Template(source).render({"config": {}})


def resolve(field_name: str) -> t.Any:
    """A dlt placeholder resolver over the parent context."""
    if not field_name.startswith("resources.apps."):
        raise TemplateError(f"no {field_name}")
    return lambda variables: variables["stream_slice"][field_name.rsplit(".", 1)[1]]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{not_this}}", "{not_this}"),  # dlt's escaping: literal braces
        ("a{{b}}c", "a{b}c"),
        ("{{ 1 + 1 }}", "{ 1 + 1 }"),  # names no template variable
        ("{resources.apps.id}", "378"),
        ("/apps/{resources.apps.id}/kids", "/apps/378/kids"),
        ("{{ stream_slice.id }}-{resources.apps.id}", "378-378"),
    ],
)
def test_the_brace_rule_in_dlt_mode(source: str, expected: object) -> None:
    compiled = compile_string(source, resolve)
    rendered = compiled.render(variables()) if isinstance(compiled, Template) else compiled
    assert rendered == expected


def test_a_lone_placeholder_keeps_its_type() -> None:
    compiled = compile_tree({"n": "{resources.apps.id}", "s": "x{resources.apps.id}"}, resolve)
    assert render_tree(compiled, variables(stream_slice={"id": 7})) == {"n": 7, "s": "x7"}


@pytest.mark.parametrize("source", ["{resources.apps.id", "a}b"])
def test_unbalanced_single_braces_are_errors(source: str) -> None:
    with pytest.raises(TemplateError, match="brace"):
        compile_string(source, resolve)


def test_without_a_resolver_single_braces_are_text() -> None:
    assert compile_string("{x} {{y}}") == "{x} {{y}}"


def test_braces_inside_a_template_are_not_placeholders(tmp_path: Path) -> None:
    """A dict literal or a regex quantifier inside {{ }} belongs to the template, not to dlt's placeholders."""
    description = tmp_path / "api.yaml"
    description.write_text(
        "client: {base_url: 'https://api.example.com'}\n"
        "resources:\n"
        "  - name: things\n"
        "    endpoint:\n"
        "      path: things\n"
        "      params:\n"
        "        plan: \"{{ {'a': 'b'}[config.tier] }}\"\n"
        "        year: \"{{ config.start | regex_search('([0-9]{4})') }}\"\n", encoding="utf-8")
    assert [resource.name for resource in load_description(description).resources] == ["things"]
