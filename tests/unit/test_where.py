"""Where: the one error context of loading a description (file + path)."""

from __future__ import annotations

from tap_generic_rest.description.where import Where
from tap_generic_rest.errors import DescriptionError


def test_paths() -> None:
    root = Where("api.yaml")
    assert root.at("client.auth").path == "client.auth"
    assert root.at("resources").item(2).at("endpoint").at("paginator").path == "resources[2].endpoint.paginator"
    assert root.at("resources").item(0).at("endpoint.data").item(1).path == "resources[0].endpoint.data[1]"
    assert str(root.at("resources").item(1).at("table_name")) == "api.yaml: resources[1].table_name"


def test_error() -> None:
    error = Where("api.yaml").at("client").at("base_url").error("not a URL")
    assert isinstance(error, DescriptionError)
    assert (error.origin, error.path, error.message) == ("api.yaml", "client.base_url", "not a URL")
    assert str(error) == "invalid API description api.yaml: client.base_url: not a URL"
    unreadable = Where("api.yaml").error("cannot read the file")
    assert str(unreadable) == "invalid API description api.yaml: cannot read the file"


def test_frozen() -> None:
    where = Where("api.yaml", "client")
    assert where.at("auth") != where
    assert hash(where) == hash(Where("api.yaml", "client"))
