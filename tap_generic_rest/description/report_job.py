"""A resource's ``report_job`` (extension): create a job, poll it until done, download its result.

Checked before any request: the status mapping (completed and failed given, no status in two lists),
exactly one of ``download.url_path`` / ``download.path``, the download's decoder with its selector, and
that the resource's own ``endpoint`` says nothing the job replaces (its records come from the download).
Requests are compiled like an endpoint's: ``{job_id}`` / ``{{ job_id }}`` is the created job's id; the
parent's ``{resources.<parent>.<field>}``, ``{incremental.*}`` and ``{{ ... }}`` templates work as there.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from tap_generic_rest.description.decoding import endpoint_decoder
from tap_generic_rest.errors import UserError
from tap_generic_rest.expressions.selectors import Selector, SelectorSyntaxError
from tap_generic_rest.expressions.templating import Template, compile_tree

if t.TYPE_CHECKING:
    from tap_generic_rest.description.where import Where
    from tap_generic_rest.expressions.templating import Part, Resolver
    from tap_generic_rest.http.decoders import Decoder

Raw = dict[str, t.Any]
#: what a status means; a status in none of the lists fails the job (an unknown status is not guessed)
STATUS_KINDS = ("completed", "failed", "running", "timeout")
#: endpoint keys the job replaces: given with report_job, they would be ignored, so they are refused (the
#: endpoint's path, its paginator, which may be the client's, and its headers are not used either)
_REPLACED = ("params", "json", "data", "data_selector", "decoder")
_REQUEST_PARTS = ("path", "params", "json", "data", "headers")


@dataclass(frozen=True)
class JobRequest:
    """One request of a job (create, poll, download): strings compiled, literals or Templates."""

    path: str | Template | None
    method: str = "GET"
    params: dict[str, t.Any] = field(default_factory=dict)
    json: t.Any = None
    data: t.Any = None
    headers: dict[t.Any, t.Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportJob:
    """A resource's report job."""

    create: JobRequest
    job_id_path: str
    poll: JobRequest
    status_path: str
    status_mapping: dict[str, str]  # str(status) -> completed | failed | running | timeout
    download: JobRequest
    url_path: str | None
    decoder: Decoder
    selector: Selector
    error_path: str | None = None
    interval: float = 5.0
    timeout: float = 600.0


def report_job(raw: Raw, endpoint: Raw, resolve: Resolver, where: Where) -> ReportJob:
    """The report job ``raw`` at ``where`` (its resource's ``endpoint`` checked against it)."""
    for key in _REPLACED:
        if endpoint.get(key) not in (None, {}, "$"):
            raise where.error(f"replaces endpoint.{key} (records come from the job's download); move it into "
                              "report_job.create or report_job.download, or remove it")
    download = raw["download"]
    if ("url_path" in download) == ("path" in download):
        raise where.at("download").error("give exactly one of url_path (a URL read from the status response) "
                                         "and path (the download's path, e.g. /reports/{job_id}/file)")
    decoder = endpoint_decoder({"decoder": download.get("decoder"), "paginator": {"type": "single_page"},
                                "data_selector": download.get("data_selector")}, where.at("download"))
    try:
        selector = Selector(download.get("data_selector", "$" if decoder.type == "jsonl" else None))
    except SelectorSyntaxError as exc:
        raise where.at("download.data_selector").error(str(exc)) from None
    poll = raw["poll"]
    return ReportJob(
        create=_request(raw["create"], "POST", resolve, where.at("create")),
        job_id_path=raw["job_id_path"],
        poll=_request(poll, "GET", resolve, where.at("poll")),
        status_path=poll["status_path"],
        error_path=poll.get("error_path"),
        interval=float(poll.get("interval", 5)),
        timeout=float(poll.get("timeout", 600)),
        status_mapping=_mapping(raw["status_mapping"], where.at("status_mapping")),
        download=_request({"path": None, **download}, "GET", resolve, where.at("download")),
        url_path=download.get("url_path"),
        decoder=decoder,
        selector=selector,
    )


def _request(raw: Raw, method: str, resolve: Resolver, where: Where) -> JobRequest:
    def with_job_id(name: str) -> Part:
        return (lambda variables: variables["job_id"]) if name == "job_id" else resolve(name)

    compiled: dict[str, t.Any] = {}
    for part in _REQUEST_PARTS:
        try:
            compiled[part] = compile_tree(raw.get(part), with_job_id)
        except UserError as exc:
            raise where.at(part).error(str(exc)) from None
    return JobRequest(path=compiled["path"], method=raw.get("method", method), params=compiled["params"] or {},
                      json=compiled["json"], data=compiled["data"], headers=compiled["headers"] or {})


def _mapping(raw: dict[str, list[object]], where: Where) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for kind in STATUS_KINDS:
        for value in raw.get(kind, ()):
            status = str(value)
            if status in mapping:
                raise where.at(kind).error(f"status {status!r} is also in {mapping[status]}; a status means one thing")
            mapping[status] = kind
    return mapping
