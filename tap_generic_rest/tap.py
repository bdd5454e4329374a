"""The tap: settings, the description it reads, and the streams generated from it."""

from __future__ import annotations

import copy
import os
import re
import typing as t
from functools import cached_property
from pathlib import Path, PurePath

from singer_sdk import Tap
from typing_extensions import override

from tap_generic_rest.apis import BUILTIN_APIS, builtin_path
from tap_generic_rest.description.columns import apply_hints
from tap_generic_rest.description.load import Description, Resource, load_description
from tap_generic_rest.description.setting_reads import unset
from tap_generic_rest.errors import REDACTOR, SettingsError, UserError, install_log_redaction
from tap_generic_rest.expressions.templating import to_datetime
from tap_generic_rest.run import input_catalog
from tap_generic_rest.run.logs import install as install_run_logging
from tap_generic_rest.run.logs import remember_stream_maps, warn_unknown_settings
from tap_generic_rest.run.progress import PROGRESS
from tap_generic_rest.run.runtime import DEFAULT_MAX_CONCURRENCY, SyncRuntime
from tap_generic_rest.run.state_file import check_state
from tap_generic_rest.run.writer import CountingWriter
from tap_generic_rest.settings import CONFIG_SCHEMA, SECRET_SETTINGS
from tap_generic_rest.streams import sdk_seam
from tap_generic_rest.streams.factory import build_stream_classes
from tap_generic_rest.streams.inference import SchemaSampler

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Auth

    from tap_generic_rest.streams.stream import GenericStream

_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class TapGenericRest(Tap):
    """A Singer tap for any REST API described in a YAML or JSON file."""

    name = "tap-generic-rest"
    config_jsonschema = CONFIG_SCHEMA
    message_writer_class = CountingWriter  # msgspec: measured ~2.5x faster than the default JSON writer

    @override
    def __init__(self, *, state: PurePath | str | dict[str, t.Any] | None = None, **kwargs: t.Any) -> None:
        """The SDK's tap; a ``--state`` file holding JSON that is not an object is refused in one line (the SDK
        would read a JSON string as a file name)."""
        is_path = isinstance(state, PurePath) or (isinstance(state, str) and Path(state).is_file())
        if state is not None and not isinstance(state, dict) and not is_path:
            kind = {str: "string", list: "list", bool: "boolean", int: "number", float: "number"}.get(type(state))
            msg = (f"invalid --state: the file holds a JSON {kind or type(state).__name__} "
                   f"({_cut(repr(state))}), not a state object like {{\"bookmarks\": {{...}}}}; pass the state a "
                   "previous run wrote, or no --state for a full sync")
            raise SettingsError(msg)
        super().__init__(state=state, **kwargs)

    def begin_validation(self) -> None:
        """Before the SDK validates the settings: secrets redacted, run logging, unknown settings warned of."""
        for name in SECRET_SETTINGS:
            REDACTOR.add(self.config.get(name))
        install_log_redaction()
        install_run_logging(PROGRESS, self.logger, log_metrics=bool(self.config.get("log_metrics")))
        known = copy.deepcopy(self.config_jsonschema)
        self.append_builtin_config(known)  # stream_maps, flattening_*, batch_config, faker_config, ...
        warn_unknown_settings(self.config, [*known["properties"], *self._description_settings()], self.logger)

    def finish_validation(self, errors: list[str], *, raise_errors: bool) -> None:
        """After the SDK validated the settings (``errors``): one line per problem; for a sync, credentials."""
        if errors and raise_errors:
            msg = f"invalid settings: {'; '.join(errors)}"
            raise SettingsError(REDACTOR.text(msg))
        base_url = self.config.get("base_url")
        if base_url and not _URL.match(str(base_url)):
            msg = f"invalid setting base_url {base_url!r}: use an http(s) URL such as https://api.example.com"
            raise SettingsError(msg)
        _check_start_date(self.config.get("start_date"))
        for name, minimum, strict in (("request_timeout", 0, True), ("max_retries", 0, False),
                                      ("backoff_factor", 0, False), ("max_concurrency", 1, False)):
            value = self.config.get(name)
            if isinstance(value, (int, float)) and (value <= minimum if strict else value < minimum):
                bound = f"greater than {minimum}" if strict else f"at least {minimum}"
                msg = f"invalid setting {name} {value!r}: it must be {bound}"
                raise SettingsError(msg)
        if raise_errors:  # a sync (discovery of declared schemas needs no credentials)
            self.check_credentials()

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        check_state(state)
        super().load_state(state)

    @override
    def setup_mapper(self) -> None:
        remember_stream_maps(self.config.get("stream_maps"))
        if self.input_catalog is not None:  # the mapper registers the catalog's streams: every one first
            input_catalog.complete(self.input_catalog, self.description, self.logger)
        super().setup_mapper()

    def _description_settings(self) -> frozenset[str]:
        """The settings the description reads (``{{ config.x }}``): known too, though the tap does not declare them."""
        try:
            return self.description.settings
        except UserError:  # reported, with its own line, where the description is needed
            return frozenset()

    @cached_property
    def description(self) -> Description:
        """The API description named by the ``api`` or ``api_description`` setting."""
        api, own = self.config.get("api"), self.config.get("api_description")
        if bool(api) == bool(own):
            both = "both are set" if api else "neither is set"
            msg = (f"set exactly one of the settings api (a built-in API: {', '.join(BUILTIN_APIS)}) "
                   f"or api_description (a path to your description file); {both}")
            raise SettingsError(msg)
        if api:
            description = load_description(builtin_path(str(api)), origin=f"(built-in api {api})")
        else:
            description = load_description(Path(str(own)).expanduser())
        for auth in (description.auth, *(r.endpoint.auth for r in description.resources if r.endpoint.auth)):
            REDACTOR.add(*(self.config.get(name) for name in auth.settings()), *auth.secrets(self.config))
        REDACTOR.add(*_request_setting_values(self.config, description.settings))
        return description

    @cached_property
    def runtime(self) -> SyncRuntime:
        """What every stream of this run shares (session, authenticator, start time)."""
        concurrency = self.config.get("max_concurrency")
        return SyncRuntime(self._build_authenticator, max_concurrency=int(concurrency or DEFAULT_MAX_CONCURRENCY))

    def _build_authenticator(self) -> Auth:
        authenticator = self.description.auth.build(self.config)
        for value in [*authenticator.auth_headers.values(), *authenticator.auth_params.values()]:
            REDACTOR.add(str(value), *str(value).split(" ")[1:])  # "Basic <base64>" and "<base64>"
        return authenticator

    def check_credentials(self, resources: t.Sequence[Resource] = ()) -> None:
        """Fail before any request when a setting the client auth, or a resource's own endpoint auth, reads is
        missing: one line naming the settings and who needs them."""
        origin = self.description.origin
        needs = [(self.description.auth, origin)] + [
            (resource.endpoint.auth, f"resource {resource.name!r} ({resource.where}.endpoint.auth in {origin})")
            for resource in resources if resource.endpoint.auth is not None]
        for auth, needed_by in needs:
            missing = auth.missing(self.config)
            if missing:
                raise SettingsError(f"missing setting(s) {', '.join(missing)} required by {needed_by}; "
                                    f"{_how_to_set(missing)}")
            auth.check(self.config)  # a key that does not parse, a login URL on another host, a store not writable
        self._check_setting_reads(resources)
        for partition in (partition for resource in resources for partition in resource.partitions):
            partition.resolve(self.config)  # a list read from a setting: a bad value fails now, in one line

    def _check_setting_reads(self, resources: t.Iterable[Resource]) -> None:
        """Every setting the client headers or the resources' requests read bare (``{{ config.x }}``) is set."""
        reads = [*self.description.setting_reads, *(read for resource in resources for read in resource.setting_reads)]
        unset_reads = unset(reads, self.config, {k: v.get("default") for k, v in CONFIG_SCHEMA["properties"].items()})
        if unset_reads:
            names = list(dict.fromkeys(name for name, _ in unset_reads))
            places = "; ".join(f"{place} reads {{{{ config.{name} }}}}" for name, place in unset_reads[:3])
            raise SettingsError(f"setting(s) {', '.join(names)} not set, so a request would go without them "
                                f"({places}); {_how_to_set(names)}")

    def check_synced_credentials(self) -> None:
        """The first step of the (final) sync_all after discovery, before any sync request: every resource
        that syncs (or feeds one) has the settings its own endpoint auth reads."""
        synced = [t.cast("GenericStream", stream).resource for stream in self.streams.values()
                  if stream.selected or stream.has_selected_descendents]
        self.check_credentials(synced)

    def begin_sync(self) -> None:
        """The sync begins (after discovery and loading the input STATE): streams keep resume positions."""
        self.runtime.syncing = True

    @override
    def discover_streams(self) -> list[GenericStream]:
        streams = []
        sampler = SchemaSampler()  # children are inferred from their parents' first records
        classes = build_stream_classes(self.description)
        inferred = [cls.resource for cls in classes if cls.resource.schema is None
                    and not (self.input_catalog and self.input_catalog.get_stream(cls.resource.name))]
        if inferred:  # sampling makes requests: every setting they need first
            self.check_credentials([node for resource in inferred for node in _lineage(self.description, resource)])
        for cls in classes:
            schema = cls.resource.schema or input_catalog.placeholder_schema(cls.resource.primary_key)
            stream = cls(tap=self, schema=schema, runtime=self.runtime)
            sampler.add(stream)
            if cls.resource.schema is None:
                entry = self.input_catalog.get_stream(stream.name) if self.input_catalog else None
                if entry is not None:
                    sdk_seam.set_schema(stream, entry.schema.to_dict())
                else:
                    sdk_seam.set_schema(stream, apply_hints(sampler.infer_schema(stream), cls.resource.columns))
            streams.append(stream)
        for stream in streams:  # records read to infer schemas are not the sync's
            stream.shaper.reset()
        return streams

    # -- the SDK seam: our overrides of private SDK hooks, each defined with its reason in sdk_seam ----------
    _validate_config = sdk_seam.validate_config
    _set_compatible_replication_methods = sdk_seam.set_compatible_replication_methods


def _how_to_set(names: list[str]) -> str:
    plugin = os.environ.get("MELTANO_EXTRACTOR_NAME")  # Meltano names the plugin it runs
    if plugin:
        prefix = re.sub(r"[^A-Za-z0-9]", "_", plugin).upper()
        return "; ".join(f"meltano config set {plugin} {name} <value> (or set {prefix}_{name.upper()})"
                         for name in names)
    declared = [name for name in names if name in CONFIG_SCHEMA["properties"]]
    others = [name for name in names if name not in declared]
    ways = [f"set {', '.join('TAP_GENERIC_REST_' + n.upper() for n in declared)} or add them to the config"] * bool(
        declared)
    ways += [f"add {', '.join(others)} to the config file (not a declared setting: no environment variable; "
             f"or refer to one of {', '.join(SECRET_SETTINGS)})"] * bool(others)
    return "; ".join(ways)


def _lineage(description: Description, resource: Resource) -> list[Resource]:
    """A resource and its ancestors (inferring its schema samples them all)."""
    chain = [resource]
    while chain[-1].parent is not None:
        chain.append(description.resource(chain[-1].parent.resource))
    return chain


def _check_start_date(value: object) -> None:
    if value is None:
        return
    try:
        to_datetime(value)
    except (ValueError, OverflowError, OSError):
        msg = f"invalid setting start_date {value!r}: use an RFC 3339 date-time such as 2024-01-01T00:00:00Z"
        raise SettingsError(msg) from None

def _request_setting_values(config: t.Mapping[str, t.Any], settings: t.Iterable[str]) -> list[str]:
    """The values of the settings a description places in requests (``{{ config.x }}``) that the tap does not
    declare: secrets in logs and errors, like the credential settings (a declared setting such as
    ``start_date`` keeps its own rule)."""
    declared = CONFIG_SCHEMA["properties"]
    values = (config.get(name) for name in settings if name not in declared)
    return [str(value) for value in values if isinstance(value, (str, int, float)) and not isinstance(value, bool)]


def _cut(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else f"{text[:keep]}..."

