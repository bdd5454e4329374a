"""The template limits refuse what would build too much before it runs, and let ordinary templates through."""

from __future__ import annotations

import pytest

from tap_generic_rest.expressions.sandbox import TemplateError, compile_expression, evaluate

VARIABLES = {"config": {"n": 2, "word": "SS", "text": "lorem ipsum " * 500}}


def run(expression: str) -> object:
    return evaluate("template", compile_expression(expression, "template"), VARIABLES)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("config.text | truncate(255) | length", 254),  # cut at a word, then "..."
        ("config.text | wordwrap(79) | length", 5999),  # spaces become newlines, the last one dropped
        ("config.word | center(6)", "  SS  "),
        ("config.word.ljust(4, '.')", "SS.."),
        ("'%05d-%s' % (config.n, config.word)", "00002-SS"),
        ("'{0:>4}'.format(config.word)", "  SS"),
        ("config.text | replace('lorem', 'L') | length", 6000 - 4 * 500),
        ("config.text | indent(4) | length", 6000),
        ("([config.word] * 3) | join(', ')", "SS, SS, SS"),
        ("config.n ** 128 > 0", True),
        ("(config.word * 400000) | length", 800000),
    ],
)
def test_ordinary_templates_are_allowed(expression: str, expected: object) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "limit"),
    [
        ("config.n ** 129", "exponents above 128"),
        ("(config.n ** 128) ** 128 ** 128", "bits"),
        ("[[config.n] * 999999] * 999999", "1,000,000"),
        ("config.word * 999999", "1,000,000"),
        ("(config.word * 400000) + (config.word * 400000)", "1,000,000"),
        ("config.word | center(1000001)", "widths or counts"),
        ("config.word.rjust(300000000)", "widths or counts"),
        ("config.word.zfill(300000000)", "widths or counts"),
        ("'%300000000s' % config.word", "1,000,000"),
        ("('%' ~ config.n ~ '00000000s') % config.word", "1,000,000"),
        ("'{0:>300000000}'.format(config.word)", "1,000,000"),
        ("(config.word * 1000) | replace('S', 'x' * 3600)", "1,000,000"),
        ("((config.word ~ '\\n') * 300000) | indent(300)", "1,000,000"),
        ("config.text | indent(300000000)", "widths or counts"),
        ("([config.word] * 500000) | join('--')", "1,000,000"),
        ("((config.word ~ '\\t') * 1000).expandtabs(999999)", "1,000,000"),
    ],
)
def test_builders_past_the_limits_are_refused_before_they_run(expression: str, limit: str) -> None:
    with pytest.raises(TemplateError, match="is not allowed") as refused:
        run(expression)
    assert limit in str(refused.value)
