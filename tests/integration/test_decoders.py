"""Non-JSON bodies (``endpoint.decoder``) over real HTTP: JSON lines, CSV and XML, each plain, gzip and
zip; malformed input as one line with its line number; a defused XML parser; paging of CSV pages by
header link and offset; inference on decoded records; checks before any request."""

from __future__ import annotations

import json
import time
import typing as t

import pytest
import yaml

from tests.integration.bodies import Reply, gzip_bytes, pieces, serving, zip_bytes
from tests.safety.helpers import FAST, assert_mentions, run_cli

if t.TYPE_CHECKING:
    from pathlib import Path

ROWS = [{"id": "1", "name": "alpha", "note": "x,y"}, {"id": "2", "name": "beta", "note": ""},
        {"id": "3", "name": "gamma \u00e9", "note": "q\"uote"}]
BODIES = {
    "jsonl": b"".join(json.dumps(row).encode() + b"\n" for row in ROWS) + b"\n",
    "csv": 'id,name,note\r\n1,alpha,"x,y"\r\n2,beta,\r\n3,gamma \u00e9,"q""uote"\r\n'.encode(),
    "xml": ('<?xml version="1.0"?><export><meta>skip</meta><rows>'
            + "".join(f'<row id="{r["id"]}"><name>{r["name"]}</name><note>{r["note"].replace(chr(34), "&quot;")}'
                      "</note></row>" for r in ROWS)
            + "</rows></export>").encode(),
}
XML_ROWS = [{"@id": r["id"], "name": r["name"], "note": r["note"] or None} for r in ROWS]
STRING = {"type": ["string", "null"]}


def describe(directory: Path, url: str, decoder: dict[str, t.Any] | None, *, schema: bool = True,
             key: str = "id", **endpoint: t.Any) -> Path:
    """A one-resource description (``rows`` at /rows) with ``decoder``."""
    fields = {"path": "/rows", **({"decoder": decoder} if decoder else {}), **endpoint}
    resource: dict[str, t.Any] = {"name": "rows", "primary_key": key, "endpoint": fields}
    if schema:
        names = ("id", "@id", "name", "note")
        (directory / "rows.json").write_text(json.dumps({"type": "object", "properties": dict.fromkeys(names, STRING)}))
        resource["schema"] = "rows.json"
    path = directory / "api.yaml"
    path.write_text(yaml.safe_dump({"client": {"base_url": url}, "resources": [resource]}))
    return path


def sync(capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path, *args: str) -> t.Any:
    return run_cli(capsys, *args, config={"api_description": str(path), **FAST}, directory=tmp_path)


def packed(body: bytes, compression: str, name: str) -> bytes:
    if compression == "gzip":
        return gzip_bytes(body)
    if compression == "zip":
        return zip_bytes({f"part.{name}": body})
    return body


@pytest.mark.parametrize("compression", ["none", "gzip", "zip"])
@pytest.mark.parametrize("kind", ["jsonl", "csv", "xml"])
def test_every_decoder_and_compression(kind: str, compression: str, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    body = packed(BODIES[kind], compression, kind)
    decoder: dict[str, t.Any] = {"type": kind, "compression": compression}
    if kind == "xml":
        decoder["records_path"] = "export/rows/row"
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, pieces(body), {"Content-Type": "application/octet-stream"})
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, decoder, key="@id" if kind == "xml" else "id"))
    records = run.succeeded().records("rows")
    assert records == (XML_ROWS if kind == "xml" else ROWS)
    assert server.received[0].headers["accept"].startswith({"jsonl": "application/x-ndjson", "csv": "text/csv",
                                                             "xml": "application/xml"}[kind])


def test_zip_members_are_read_one_after_another(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, second = b"id,name,note\r\n1,a,\r\n", b"id,name,note\r\n2,b,\r\n3,c,\r\n"
    body = zip_bytes({"a.csv": first, "dir/b.csv": second})
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body])
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "csv", "compression": "zip"}))
    assert [r["id"] for r in run.succeeded().records()] == ["1", "2", "3"]


def test_csv_delimiter_quotechar_encoding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = "id;name;note\n1;'caf\u00e9; bar';x\n".encode("latin-1")
    decoder = {"type": "csv", "delimiter": ";", "quotechar": "'", "encoding": "latin-1"}
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body], {"Content-Type": "text/csv"})
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, decoder))
    assert run.succeeded().records() == [{"id": "1", "name": "caf\u00e9; bar", "note": "x"}]


def test_gzip_file_sent_with_content_encoding_gzip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A .gz file served with ``Content-Encoding: gzip`` is inflated once, not twice."""
    body = gzip_bytes(BODIES["csv"])
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body], {"Content-Encoding": "gzip"})
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "csv", "compression": "gzip"}))
    assert run.succeeded().records() == ROWS


def test_json_lines_through_a_data_selector(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = b'{"item": {"id": "1"}}\n{"item": {"id": "2"}}\n'
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body])
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "jsonl"}, data_selector="item"))
    assert [r["id"] for r in run.succeeded().records()] == ["1", "2"]


def test_compressed_json_keeps_the_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``json`` + gzip: data_selector and a body-reading paginator (json_link) work as for plain JSON."""
    pages = {"/rows": {"data": ROWS[:2], "next": "/rows?p=2"}, "/rows?p=2": {"data": ROWS[2:], "next": None}}
    with serving() as server:
        server.routes["/rows"] = lambda request: Reply(200, [gzip_bytes(json.dumps(pages[request.target]).encode())])
        path = describe(tmp_path, server.url, {"type": "json", "compression": "gzip"}, data_selector="data",
                        paginator={"type": "json_link", "next_url_path": "next"})
        run = sync(capsys, tmp_path, path)
    assert run.succeeded().records() == ROWS


MALFORMED = [
    ("jsonl", b'{"id": "1"}\n\n{"id": "2"}\n{"id": 3,\n', 2, ("line 4 is not valid JSON", "rows")),
    ("csv", b"id,name,note\r\n1,a,\r\n2,b,c,d\r\n", 1, ("line 3 has 4 fields, the header row has 3",)),
    ("csv", b'id,name,note\r\n1,a,\r\n2,"a\r\n', 1, ("line 3 is not a valid CSV row",)),
    ("csv", b"id,id,note\r\n1,a,\r\n", 0, ("line 1 (the header row) names column 'id' twice",)),
    ("csv", b"id,name,note\r\n1,\xff\xfe,\r\n", 0, ("line 2 is not utf-8 text",)),
    ("xml", b"<export>\n<row><name>1</name></row>\n<row><name>2</row>\n</export>", 1, ("line 3", "not well-formed")),
]


@pytest.mark.parametrize(("kind", "body", "before", "expect"), MALFORMED, ids=lambda value: str(value)[:24])
def test_malformed_input_is_one_line_with_its_line_number(kind: str, body: bytes, before: int, expect: tuple[str, ...],
                                                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, pieces(body, 5))
        path = describe(tmp_path, server.url, {"type": kind}, key="name" if kind == "xml" else "id")
        run = sync(capsys, tmp_path, path)
    assert_mentions(run.error(), "stream rows", f"({kind})", *expect)
    assert len(run.records()) == before, "the records before the bad line are written; none after it"


def test_corrupt_gzip_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = gzip_bytes(BODIES["csv"] * 50)[:-40]
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body])
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "csv", "compression": "gzip"}))
    assert_mentions(run.error(), "(csv (gzip))", "gzip-compressed body is corrupt or cut short")


def test_a_body_that_breaks_off_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def broken(_: object) -> Reply:
        def chunks() -> t.Iterator[bytes]:
            yield b"id,name,note\r\n1,a,\r\n"
            raise ConnectionResetError  # the server drops the connection mid-body
        return Reply(200, chunks())

    with serving() as server:
        server.routes["/rows"] = broken
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "csv"}))
    assert_mentions(run.error(), "the body broke off after 1 record (")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<export><row><id>&lol3;</id></row></export>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<export><row><id>&e;</id></row></export>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_xml_entities_are_refused(body: bytes, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body])
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "xml"}))
    assert_mentions(run.error(), "declares entities", "refused")
    assert run.records() == []
    assert "root:" not in run.stdout


def test_csv_pages_by_header_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def page(request: t.Any) -> Reply:
        number = int(request.target.partition("page=")[2] or 1)
        links = {"Link": f'<{server.url}/rows?page={number + 1}>; rel="next"'} if number < 3 else {}
        return Reply(200, [f"id,name,note\r\n{number},p{number},\r\n".encode()], links)

    with serving() as server:
        server.routes["/rows"] = page
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "csv"}, paginator="header_link"))
    assert [r["id"] for r in run.succeeded().records()] == ["1", "2", "3"]
    assert server.paths() == ["/rows", "/rows?page=2", "/rows?page=3"]


def test_csv_pages_by_offset_until_an_empty_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def page(request: t.Any) -> Reply:
        offset = int(request.target.split("offset=")[1].split("&")[0])
        rows = "".join(f"{n},n{n},\r\n" for n in range(offset, min(offset + 2, 5)))
        return Reply(200, [f"id,name,note\r\n{rows}".encode()])

    with serving() as server:
        server.routes["/rows"] = page
        path = describe(tmp_path, server.url, {"type": "csv"}, paginator={"type": "offset", "limit": 2})
        run = sync(capsys, tmp_path, path)
    assert [r["id"] for r in run.succeeded().records()] == ["0", "1", "2", "3", "4"]
    assert len(server.received) == 4  # 2 + 2 + 1 rows, then the empty page


def test_inference_reads_decoded_records(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [BODIES["csv"]])
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, {"type": "csv"}, schema=False), "--discover")
    schema = json.loads(run.succeeded().stdout)["streams"][0]["schema"]
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
        "id": ["string"], "name": ["string", "null"], "note": ["string", "null"]}


CHECKS = [
    ({"type": "csv"}, {"data_selector": "data"}, "resources[0].endpoint.data_selector: 'data' cannot apply to a csv"),
    ({"type": "csv"}, {"paginator": {"type": "json_link"}},
     "resources[0].endpoint.paginator.type: 'json_link' reads its next page from a JSON body"),
    ({"type": "xml"}, {"paginator": {"type": "offset", "limit": 5, "total_path": "total"}},
     "resources[0].endpoint.paginator.total_path: reads the body as JSON"),
    ({"type": "jsonl", "delimiter": ";"}, {}, "resources[0].endpoint.decoder.delimiter: applies to decoder type csv"),
    ({"type": "csv", "encoding": "klingon"}, {}, "resources[0].endpoint.decoder.encoding: 'klingon' is not a known"),
    ({"type": "yaml"}, {}, "resources[0].endpoint.decoder.type"),
    ({"type": "csv"}, {"response_actions": [{"content": "empty", "action": "ignore"}]},
     "resources[0].endpoint.response_actions[0].content: a content rule on a 2xx response"),
    ({"type": "csv"}, {"error_handler": {"response_filters": [
        {"action": "retry", "predicate": "{{ response.status == 'busy' }}"}]}},
     "resources[0].endpoint.error_handler.response_filters[0].predicate: reads the body of a 2xx response, but "
     "decoder csv streams it"),
    ({"type": "jsonl"}, {"error_handler": {"response_filters": [
        {"action": "fail", "http_codes": [200, 503], "error_message_contains": "maintenance"}]}},
     "resources[0].endpoint.error_handler.response_filters[0].error_message_contains: reads the body of a 2xx"),
    ({"type": "xml", "records_path": "rows/row"}, {"error_handler": {"response_filters": [
        {"action": "fail", "predicate": "{{ headers['X-State'] == 'failed' }}",
         "error_message": "the export failed: {{ response }}"}]}},
     "resources[0].endpoint.error_handler.response_filters[0].error_message: reads the body of a 2xx"),
]


@pytest.mark.parametrize(("decoder", "endpoint", "expect"), CHECKS, ids=lambda value: str(value)[:30])
def test_checked_before_any_request(decoder: dict[str, t.Any], endpoint: dict[str, t.Any], expect: str,
                                    capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        run = sync(capsys, tmp_path, describe(tmp_path, server.url, decoder, **endpoint))
    assert_mentions(run.error(), expect)
    assert server.received == []


def test_client_rules_on_a_streamed_endpoint_are_checked_too(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    rules = [{"action": "ignore", "http_codes": [404]},
             {"action": "retry", "match": "any", "http_codes": [503], "predicate": "{{ response.busy }}"}]
    with serving() as server:
        path = describe(tmp_path, server.url, {"type": "csv"})
        document = yaml.safe_load(path.read_text())
        document["client"]["error_handler"] = {"response_filters": rules}
        path.write_text(yaml.safe_dump(document))
        run = sync(capsys, tmp_path, path)
    assert_mentions(run.error(), "client.error_handler.response_filters[1].predicate: reads the body of a 2xx "
                                 "response, but decoder csv of resource 'rows' streams it")
    assert server.received == []


def test_rules_that_read_no_2xx_body_run_on_a_streamed_endpoint(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    """Error codes may read their (bounded) body; a 2xx rule may read headers: a busy export is retried."""
    answers = iter([Reply(200, [b""], headers={"X-State": "busy"}),
                    Reply(500, [b'{"error": "later"}']), Reply(200, [BODIES["csv"]])])
    rules = [{"action": "retry", "predicate": "{{ headers['X-State'] == 'busy' }}"},
             {"action": "retry", "http_codes": [500], "predicate": "{{ response.error == 'later' }}"}]
    with serving() as server:
        server.routes["/rows"] = lambda _: next(answers)
        path = describe(tmp_path, server.url, {"type": "csv"}, error_handler={
            "response_filters": rules, "max_retries": 3,
            "backoff_strategies": [{"type": "constant", "backoff_time_in_seconds": 0}]})
        run = sync(capsys, tmp_path, path)
    assert [r["id"] for r in run.succeeded().records()] == ["1", "2", "3"]
    assert len(server.received) == 3


TYPED = {"type": "object", "properties": {
    "id": {"type": "integer"}, "amount": {"type": ["number", "null"]}, "paid": {"type": ["boolean", "null"]},
    "code": {"type": ["string", "integer"]}}}


def typed_description(directory: Path, url: str, kind: str) -> Path:
    (directory / "typed.json").write_text(json.dumps(TYPED))
    decoder = {"type": kind, **({"records_path": "rows/row"} if kind == "xml" else {})}
    resource = {"name": "rows", "primary_key": "id", "schema": "typed.json", "endpoint": {"path": "/rows",
                                                                                           "decoder": decoder}}
    path = directory / "api.yaml"
    path.write_text(yaml.safe_dump({"client": {"base_url": url}, "resources": [resource]}))
    return path


@pytest.mark.parametrize("kind", ["csv", "xml"])
def test_text_values_take_the_declared_schemas_types(kind: str, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    rows = [("1", "1.50", "true", "007"), ("2", "", "", "8"), ("3", "12", "No", "x")]
    if kind == "csv":
        body = ("id,amount,paid,code\r\n" + "".join(",".join(row) + "\r\n" for row in rows)).encode()
    else:
        body = ("<rows>" + "".join(f"<row><id>{a}</id><amount>{b}</amount><paid>{c}</paid><code>{d}</code></row>"
                                   for a, b, c, d in rows) + "</rows>").encode()
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body])
        run = sync(capsys, tmp_path, typed_description(tmp_path, server.url, kind))
    records = run.succeeded().records()
    assert records == [{"id": 1, "amount": 1.5, "paid": True, "code": "007"},
                       {"id": 2, "amount": None, "paid": None, "code": "8"},
                       {"id": 3, "amount": 12, "paid": False, "code": "x"}]


def test_a_text_value_that_is_not_its_declared_type_is_one_line(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    body = b"id,amount,paid,code\r\n1,2,true,a\r\n2,two,false,b\r\n"
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, [body])
        run = sync(capsys, tmp_path, typed_description(tmp_path, server.url, "csv"))
    assert_mentions(run.error(), "(csv): line 3: column 'amount' is 'two', not the number the schema declares")
    assert len(run.records()) == 1


def test_a_decoder_in_resource_defaults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = describe(tmp_path, "http://unused", None)
    with serving() as server:
        document = yaml.safe_load(path.read_text())
        document["client"]["base_url"] = server.url
        document["resource_defaults"] = {"endpoint": {"decoder": {"type": "csv", "compression": "gzip"}}}
        path.write_text(yaml.safe_dump(document))
        server.routes["/rows"] = lambda _: Reply(200, [gzip_bytes(BODIES["csv"])])
        run = sync(capsys, tmp_path, path)
    assert run.succeeded().records() == ROWS


def test_xml_pages_by_page_number_until_an_empty_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def page(request: t.Any) -> Reply:
        number = int(request.target.split("page=")[1].split("&")[0])
        rows = "".join(f'<row id="{n}"><name>n{n}</name></row>' for n in range(number * 2, min(number * 2 + 2, 5)))
        return Reply(200, [f"<rows>{rows}</rows>".encode()])

    with serving() as server:
        server.routes["/rows"] = page
        path = describe(tmp_path, server.url, {"type": "xml"}, key="@id", paginator={"type": "page_number"})
        run = sync(capsys, tmp_path, path)
    assert [r["@id"] for r in run.succeeded().records()] == ["0", "1", "2", "3", "4"]
    assert server.paths() == [f"/rows?page={n}" for n in range(4)]


def _trickle(pause: float, rows: int, stall: float = 0.0) -> t.Iterator[bytes]:
    yield b"id,name,note\r\n"
    for n in range(1, rows + 1):
        time.sleep(pause)
        yield f"{n},n{n},\r\n".encode()
    time.sleep(stall)


def test_a_slow_export_has_no_total_deadline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Six rows 0.4 s apart: 2.4 s in all, past request_timeout (1 s), but every read brings bytes in time."""
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, _trickle(0.4, 6))
        path = describe(tmp_path, server.url, {"type": "csv"})
        run = run_cli(capsys, config={"api_description": str(path), **FAST, "request_timeout": 1}, directory=tmp_path)
    assert len(run.succeeded().records()) == 6


def test_a_stalled_export_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with serving() as server:
        server.routes["/rows"] = lambda _: Reply(200, _trickle(0.0, 1, stall=3))
        path = describe(tmp_path, server.url, {"type": "csv"})
        run = run_cli(capsys, config={"api_description": str(path), **FAST, "request_timeout": 1}, directory=tmp_path)
    assert_mentions(run.error(), "the body broke off after 1 record (", "raise request_timeout")
