"""RequestBuilder without an SDK stream: URL join, path placeholders, headers, params, body, auth."""

from __future__ import annotations

import decimal
import typing as t

import pytest
from singer_sdk.streams.rest import PageContext

from tap_generic_rest import __version__
from tap_generic_rest.errors import StreamError
from tap_generic_rest.run.refused import ParentRefused
from tap_generic_rest.run.runtime import SyncRuntime
from tap_generic_rest.streams.request_builder import RequestBuilder, join_url
from tap_generic_rest.streams.scope import Scope

if t.TYPE_CHECKING:
    from tap_generic_rest.description.load import Description

Describe = t.Callable[..., "Description"]
KIDS = {"name": "kids", "primary_key": "id", "endpoint": {"path": "apps/{resources.apps.id}/kids"}}
APPS = {"name": "apps", "primary_key": "id", "endpoint": {"path": "apps"}}


class Auth:
    """A stand-in authenticator (built per description or per resource)."""

    def __init__(self, name: str) -> None:
        self.name = name


def builder(description: Description, name: str, config: dict[str, t.Any] | None = None,
            variables: dict[str, t.Any] | None = None) -> RequestBuilder:
    runtime = SyncRuntime(lambda: t.cast("t.Any", Auth("client")))
    scope = Scope(name, description.resource(name), description, config or {}, runtime)
    return RequestBuilder(scope, lambda context: {"config": config or {}, "incremental": {}, **(variables or {})})


@pytest.mark.parametrize(("base", "path", "joined"), [
    ("https://api.test/v1/", "/items", "https://api.test/v1/items"),
    ("https://api.test/v1", "items", "https://api.test/v1/items"),
    ("https://api.test/v1", "", "https://api.test/v1"),
    ("https://api.test/v1", "https://other.test/x", "https://other.test/x"),
])
def test_join_url_is_dlts(base: str, path: str, joined: str) -> None:
    assert join_url(base, path) == joined


def test_the_base_url_setting_wins_over_the_description(describe: Describe) -> None:
    description = describe(APPS)
    assert builder(description, "apps").url(None) == "https://api.test/apps"
    assert builder(description, "apps", {"base_url": "http://localhost:9/x/"}).url(None) == "http://localhost:9/x/apps"


@pytest.mark.parametrize(("value", "segment"), [("a/b c", "a%2Fb%20c"), ("a..b", "a..b"), ("...", "..."), (7, "7")])
def test_parent_values_are_one_path_segment(value: object, segment: str, describe: Describe) -> None:
    description = describe(APPS, {**KIDS, "endpoint": {"path": "apps/{resources.apps.id}/kids"}})
    assert builder(description, "kids").url({"_apps_id": value}) == f"https://api.test/apps/{segment}/kids"


@pytest.mark.parametrize("value", ["..", "."])
def test_a_dot_segment_parent_value_is_refused(value: str, describe: Describe) -> None:
    """requests and urllib3 resolve ``%2E%2E`` like ``..``: the request would reach another path."""
    description = describe(APPS, {**KIDS, "endpoint": {"path": "apps/{resources.apps.id}/kids"}})
    with pytest.raises(ParentRefused, match="dot segment"):
        builder(description, "kids").url({"_apps_id": value})


def test_headers_are_ours_then_the_descriptions_then_the_endpoints(describe: Describe) -> None:
    endpoint = {"path": "apps", "headers": {"X-Page": "{{ config.page }}"}}
    description = describe({**APPS, "endpoint": endpoint}, headers={"X-Key": "{{ config.key }}"})
    request = builder(description, "apps", {"key": "k1", "page": 3}).request(PageContext(None, None))
    assert request.headers == {"Accept": "application/json", "User-Agent": f"tap-generic-rest/{__version__}",
                               "X-Key": "k1", "X-Page": "3"}
    assert builder(description, "apps", {"user_agent": "me/1"}).user_agent == "me/1"


def test_params_drop_none_and_the_body_is_json_or_data(describe: Describe) -> None:
    endpoint = {"path": "apps", "method": "POST", "params": {"a": "{{ config.a }}", "b": None},
                "json": {"q": "{{ config.a }}"}}
    description = describe({**APPS, "endpoint": endpoint})
    request = builder(description, "apps", {"a": "x"}).request(PageContext(None, None))
    assert (request.method, request.params, request.data) == ("POST", {"a": "x"}, {"q": "x"})
    assert builder(description, "apps").payload_as_json
    form = describe({**APPS, "endpoint": {"path": "apps", "method": "POST", "data": {"f": "1"}}})
    assert not builder(form, "apps").payload_as_json
    assert builder(form, "apps").request(PageContext(None, None)).data == {"f": "1"}


def test_a_template_error_names_the_stream_and_where_to_fix_it(describe: Describe) -> None:
    description = describe({**APPS, "endpoint": {"path": "apps", "params": {"a": "{{ config.missing.deeper }}"}}})
    with pytest.raises(StreamError, match=r"^stream apps: .*; fix resources\[0\]\.endpoint in \(test\)$"):
        builder(description, "apps").request(PageContext(None, None))


def test_timeout_is_the_setting(describe: Describe) -> None:
    description = describe(APPS)
    assert builder(description, "apps").timeout == 60
    assert builder(description, "apps", {"request_timeout": 5}).timeout == 5


@pytest.mark.parametrize("value", [decimal.Decimal("5.5"), decimal.Decimal("30.0"), decimal.Decimal("1E+2"), 5.5])
def test_a_decimal_timeout_is_a_float(value: object, describe: Describe) -> None:
    """The SDK reads a config file's decimals as Decimal, which the socket refused with a TypeError."""
    timeout = builder(describe(APPS), "apps", {"request_timeout": value}).timeout
    assert type(timeout) is float
    assert timeout == float(t.cast("decimal.Decimal", value))


def test_a_resource_without_its_own_auth_uses_the_runs(describe: Describe) -> None:
    requests = builder(describe(APPS), "apps")
    assert requests.authenticator is requests.authenticator
    assert t.cast("t.Any", requests.authenticator).inner.name == "client"
