"""Records of line-based bodies, read as they arrive: JSON lines and CSV.

JSON lines: every non-blank line is one JSON document (numbers read as ``Decimal`` where they have a
fraction, as the JSON path reads them). CSV: the first row names the columns; every later row is one
record of strings, column name -> value (an empty field is ``""``); blank lines are skipped. A line
that is not JSON, a row with more or fewer fields than the header, a header naming a column twice or
not at all, bytes that are not the declared encoding, a line longer than the record bound: each is one
:class:`BodyError` naming the line, never skipped.
"""

from __future__ import annotations

import codecs
import csv
import typing as t

import simplejson

from tap_generic_rest.http.body import MAX_BODY_BYTES
from tap_generic_rest.http.streamed import BodyError

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_generic_rest.http.typed_values import Typer

#: One CSV field may be as large as the record bound (the csv module's default is 128 KiB).
csv.field_size_limit(MAX_BODY_BYTES)


class _Lines:
    """The text lines (ending in ``\\n``) of a binary stream, counted, each bounded by :data:`MAX_BODY_BYTES`;
    decoded line by line, so an undecodable byte is reported on its own line."""

    def __init__(self, binary: t.IO[bytes], encoding: str, place: str) -> None:
        read_as = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding  # a BOM is not data
        self._decoder = codecs.getincrementaldecoder(read_as)()
        self._binary = binary
        self._encoding = encoding
        self.place = place
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        pending = ""
        while True:
            raw = self._binary.readline(MAX_BODY_BYTES + 1)
            pending += self._decode(raw)
            while (end := pending.find("\n")) >= 0:
                yield self._counted(pending[: end + 1])
                pending = pending[end + 1:]
            if len(pending) > MAX_BODY_BYTES:
                msg = f"{self.at(self.number + 1)} is longer than {MAX_BODY_BYTES // 1024**2} MiB, the largest record"
                raise BodyError(msg)
            if not raw:
                if pending:
                    yield self._counted(pending)
                return

    def _decode(self, raw: bytes) -> str:
        try:
            return self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            msg = f"{self.at(self.number + 1)} is not {self._encoding} text ({exc.reason}); fix decoder.encoding"
            raise BodyError(msg) from None

    def _counted(self, line: str) -> str:
        self.number += 1
        return line

    def at(self, number: int) -> str:
        """``line <number>`` (of a zip member, when the body is a zip archive)."""
        return f"{self.place}line {number}"


def _place(member: str) -> str:
    return f"zip member {member!r}, " if member else ""


def jsonl_documents(binary: t.IO[bytes], encoding: str, member: str = "") -> Iterator[t.Any]:
    """The JSON document of every non-blank line."""
    lines = _Lines(binary, encoding, _place(member))
    for line in lines:
        if not line.strip():
            continue
        try:
            yield simplejson.loads(line, use_decimal=True)
        except (ValueError, RecursionError) as exc:
            reason = str(exc).split(":")[0] if not isinstance(exc, RecursionError) else "nested too deeply"
            msg = f"{lines.at(lines.number)} is not valid JSON ({reason}; starts with {line[:40]!r})"
            raise BodyError(msg) from None


def csv_rows(binary: t.IO[bytes], spec: t.Mapping[str, str], member: str = "",
             typed: Typer | None = None) -> Iterator[dict[str, t.Any]]:
    """Every row after the header row, as column name -> value (strings; ``typed`` by a declared schema)."""
    lines = _Lines(binary, spec.get("encoding", "utf-8"), _place(member))
    reader = csv.reader(iter(lines), delimiter=spec.get("delimiter", ","), quotechar=spec.get("quotechar", '"'),
                        strict=True)
    header: list[str] | None = None
    while True:
        start = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BodyError(f"{lines.at(start)} is not a valid CSV row ({exc})") from None
        if not row:
            continue
        if header is None:
            header = _header(row, lines.at(start))
            continue
        if len(row) != len(header):
            msg = (f"{lines.at(start)} has {len(row)} fields, the header row has {len(header)} "
                   f"(starts with {','.join(row)[:40]!r}); check decoder.delimiter and quotechar")
            raise BodyError(msg)
        record: dict[str, t.Any] = dict(zip(header, row, strict=True))
        if typed is not None:
            try:
                record = typed(record)
            except ValueError as exc:
                raise BodyError(f"{lines.at(start)}: {exc}") from None
        yield record


def _header(row: list[str], where: str) -> list[str]:
    """The header row, checked: every column named, and once."""
    seen: set[str] = set()
    for index, name in enumerate(row):
        if not name.strip():
            raise BodyError(f"{where} (the header row): column {index + 1} has no name; every column needs one")
        if name in seen:
            raise BodyError(f"{where} (the header row) names column {name!r} twice; a record would lose one")
        seen.add(name)
    return row
