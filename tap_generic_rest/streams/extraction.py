"""Records: selecting them from a response, checking them, the parent fields they carry, and what a
failure while reading a partition means."""

from __future__ import annotations

import typing as t

import requests

from tap_generic_rest.errors import REDACTOR, LazyText, StreamError
from tap_generic_rest.expressions.selectors import SelectorNotFoundError
from tap_generic_rest.http.body import ResponseTooLargeError
from tap_generic_rest.http.decoders import decoded, inflate_json
from tap_generic_rest.http.failures import ParentGone, ResponseIgnored
from tap_generic_rest.http.responses import MalformedResponseError, response_json
from tap_generic_rest.http.streamed import BodyError
from tap_generic_rest.http.typed_values import schema_typer
from tap_generic_rest.pagination.base import PaginationError
from tap_generic_rest.run.progress import plural
from tap_generic_rest.run.refused import REFUSED, ParentRefused

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from singer_sdk.helpers.types import Context

    from tap_generic_rest.description.model import Resource
    from tap_generic_rest.expressions.selectors import Selector
    from tap_generic_rest.http.decoders import Decoder
    from tap_generic_rest.streams.shaping import RecordShaper

Record = dict[str, t.Any]


class RecordExtractor:
    """The records of one resource's responses."""

    def __init__(self, name: str, resource: Resource, logger: logging.Logger,
                 shaper: RecordShaper | None = None) -> None:
        """Records of ``resource``, shaped by ``shaper`` (record_filter, add_fields, remove_fields)."""
        self._name = name
        self._resource = resource
        self._logger = logger
        self._shaper = shaper
        self._added = (*(resource.parent.added if resource.parent is not None else ()),
                       *(partition.name for partition in resource.partitions if partition.include_in_record))
        self._typed = schema_typer(resource.schema)  # CSV and XML text as the declared schema types it

    def select(self, response: requests.Response, primary_keys: Sequence[str],
               reading: tuple[Decoder, Selector] | None = None) -> Iterator[Record]:
        """The records of ``response``: objects (scalars wrapped by ``scalar_key``), each with its own keys;
        read by the endpoint's decoder and selector, or by ``reading`` (a report job's download)."""
        where = LazyText(lambda: f"stream {self._name}: response from {REDACTOR.url(response.url)}")
        decoder, selector = reading or (self._resource.endpoint.decoder, self._resource.endpoint.selector)
        streamed = decoder.streams and decoder.type != "json"
        if streamed:
            items: Iterable[t.Any] = self._streamed(response, where, decoder, selector)
        else:
            items = self._selected(response, where, decoder, selector)
        yield from self._checked(items, where, primary_keys, response, streamed)

    def _selected(self, response: requests.Response, where: LazyText, decoder: Decoder,
                  selector: Selector) -> list[t.Any]:
        """The items the ``data_selector`` finds in a JSON body (inflated first when compressed)."""
        try:
            if decoder.streams:
                inflate_json(response, decoder)
            return selector.select(response_json(response), allow_missing=self._resource.allow_missing)
        except (BodyError, ResponseTooLargeError) as exc:
            raise StreamError(f"{where}: {exc}") from None
        except MalformedResponseError as exc:
            msg = f"{where}: {exc}; check base_url and that the endpoint returns JSON"
            raise StreamError(msg) from None
        except SelectorNotFoundError:
            document = response_json(response)
            keys = ", ".join(map(str, document)) if isinstance(document, dict) else type(document).__name__
            msg = (
                f"{where}: data_selector {selector.source!r} matched nothing "
                f"(the response has: {keys}); fix endpoint.data_selector"
            )
            raise StreamError(msg) from None

    def _streamed(self, response: requests.Response, where: LazyText, decoder: Decoder,
                  selector: Selector) -> Iterator[t.Any]:
        """The items of a streamed body, as it arrives (a JSON line's through the ``data_selector``)."""
        count = 0
        try:
            for document in decoded(response, decoder, self._typed):
                items = selector.select(document, allow_missing=self._resource.allow_missing) \
                    if decoder.type == "jsonl" else (document,)
                for item in items:
                    count += 1
                    yield item
        except BodyError as exc:
            raise StreamError(f"{where} ({decoder.describe()}): {exc}") from None
        except SelectorNotFoundError:
            msg = f"{where}: data_selector {selector.source!r} matched nothing in a JSON line; fix data_selector"
            raise StreamError(msg) from None
        except requests.RequestException as exc:
            msg = (f"{where}: the body broke off after {plural(count, 'record')} ({type(exc).__name__}: a read "
                   "waited longer than request_timeout, or the connection closed); run again, or raise request_timeout")
            raise StreamError(msg) from None
        finally:
            response.close()

    def _checked(self, items: Iterable[t.Any], where: LazyText, primary_keys: Sequence[str],
                 response: requests.Response, streamed: bool) -> Iterator[Record]:
        """Objects (scalars wrapped by ``scalar_key``), shaped (record_filter, add_fields, remove_fields), each
        with its own primary keys."""
        records = self._objects(items, where)
        if self._shaper is not None and self._shaper.active:
            records = self._shaper.shape(records, response, None if streamed else response_json(response))
        own_keys = [key for key in primary_keys if key not in self._added]
        for item in records:
            for key in own_keys:
                if item.get(key) is None:
                    msg = (
                        f"{where}: a record has no value for primary key {key!r} "
                        f"(record keys: {', '.join(item)}); fix primary_key in the description"
                    )
                    raise StreamError(msg)
            yield item

    def _objects(self, items: Iterable[object], where: LazyText) -> Iterator[Record]:
        """The selected items as objects: scalars wrapped by ``records.scalar_key``, else refused."""
        scalar_key = self._resource.scalar_key
        for item in items:
            if isinstance(item, dict):
                yield item
                continue
            if not scalar_key:
                msg = (
                    f"{where}: a selected item is {type(item).__name__} {str(item)[:40]!r}, not an "
                    "object; point data_selector at a list of objects, or set records.scalar_key"
                )
                raise StreamError(msg)
            yield {scalar_key: item}

    def complete(self, row: Record, context: Context | None, replication_key: str | None) -> Record:
        """``row`` with its replication key (None if absent: it is emitted) and the fields taken from its parent."""
        if replication_key:
            row.setdefault(replication_key, None)  # a record without its key is emitted (contract §1.5)
        if self._added and context:
            row.update({key: context[key] for key in self._added if key in context})
        return row

    def read(
        self,
        records: Callable[[], Iterable[Record]],
        context: Context | None,
        keep: Callable[[Record], bool] | None,
        dropped: Callable[[Record], None],
    ) -> Iterator[Record]:
        """A partition's ``records()`` kept by ``keep`` (the others go to ``dropped``); an ignored response or
        a parent gone (404) ends the partition with a log line, a bad cursor or paging fails in one line."""
        try:
            for record in records():
                if keep is None or keep(record):
                    yield record
                else:
                    dropped(record)
        except ResponseIgnored as exc:
            self._logger.info("%s", exc)
        except ParentGone as exc:
            self._logger.warning("%s; skipping parent %s", exc, dict(context or {}))
        except ParentRefused as exc:
            line = f"{exc}; skipping parent {dict(context or {})}"
            self._logger.warning("%s", line)
            REFUSED.add(line)
        except ValueError as exc:  # the incremental filter: a record without its cursor
            raise StreamError(f"stream {self._name}: {exc}") from None
        except PaginationError as exc:
            raise StreamError(f"stream {self._name}: {exc}") from None
