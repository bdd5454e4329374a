"""``AsyncRetriever`` -> ``report_job``.

``creation_requester`` -> ``create`` (method, path, params, json, data); ``polling_requester`` -> ``poll``
(its path; ``{{ creation_response['id'] }}`` / ``{{ stream_slice['create_job_response']... }}`` becomes
``{job_id}``, read from the creation response at ``job_id_path``); ``status_extractor`` -> ``status_path``;
``status_mapping`` -> ``status_mapping`` (``completed``, ``failed``, ``running``, ``timeout``);
``polling_job_timeout`` (minutes) -> ``poll.timeout`` (seconds); ``download_target_extractor`` ->
``download.url_path``; ``download_decoder`` -> ``download.decoder``; ``record_selector`` -> the records'
``data_selector``.
"""

from __future__ import annotations

import re
import typing as t

from tap_generic_rest.importers.airbyte.decoders import map_decoder
from tap_generic_rest.importers.airbyte.records import map_selector
from tap_generic_rest.importers.airbyte.requesters import map_request, requester_url

if t.TYPE_CHECKING:
    from tap_generic_rest.importers.airbyte.context import Stream

_JOB_ID = re.compile(r"\{\{\s*(?:creation_response|stream_slice\[['\"]create_job_response['\"]\]"
                     r"(?:\.json\(\))?)(?:\[['\"](\w+)['\"]\]|\.(\w+))\s*\}\}")


def map_report_job(retriever: dict[str, t.Any], stream: Stream, path: str) -> dict[str, t.Any] | None:
    """Our ``report_job`` (None after a refusal)."""
    stream.check_options(retriever, path, (
        "record_selector", "status_mapping", "status_extractor", "download_target_extractor", "creation_requester",
        "polling_requester", "polling_job_timeout", "download_requester", "download_decoder", "decoder",
        "download_target_requester"), {"abort_requester": "a failed job is not aborted",
                                       "delete_requester": "a finished job is not deleted",
                                       "failed_retry_wait_time_in_seconds": "a failed job fails the stream"})
    job: dict[str, t.Any] = {"create": _request(retriever.get("creation_requester"), stream,
                                                f"{path}.creation_requester")}
    polling = dict(retriever.get("polling_requester") or {})
    job_id_path = _job_id(polling, stream, f"{path}.polling_requester")
    job["job_id_path"] = job_id_path
    poll = _request(polling, stream, f"{path}.polling_requester")
    poll["path"] = str(poll.get("path") or "").replace("__JOB_ID__", "{job_id}")
    poll["status_path"] = _field_path(retriever.get("status_extractor"))
    if retriever.get("polling_job_timeout") is not None:
        poll["timeout"] = int(retriever["polling_job_timeout"]) * 60
    job["poll"] = poll
    job["status_mapping"] = {key: list(value) for key, value in (retriever.get("status_mapping") or {}).items()
                             if key != "type" and not key.startswith("$")}
    download: dict[str, t.Any] = {"url_path": _field_path(retriever.get("download_target_extractor"))}
    decoder = map_decoder(retriever.get("download_decoder") or retriever.get("decoder"), stream,
                          f"{path}.download_decoder")
    if decoder:
        download["decoder"] = decoder
    selector = map_selector(retriever.get("record_selector"), stream, f"{path}.record_selector")
    if selector not in (None, "$"):
        download["data_selector"] = selector
    job["download"] = download
    return job


def _request(requester: object, stream: Stream, path: str) -> dict[str, t.Any]:
    if not isinstance(requester, dict):
        stream.refuse(path, "a requester is required")
        return {}
    base, own = requester_url(requester, stream, path)
    request = map_request(requester, stream, path)
    return {"method": request.pop("method", "GET"), "path": own if not base else f"{base.rstrip('/')}/"
            f"{own.lstrip('/')}", **request}


def _job_id(polling: dict[str, t.Any], stream: Stream, path: str) -> str:
    """The creation response's field of the job id; the polling path gets ``{job_id}``."""
    text = str(polling.get("path") or polling.get("url") or "")
    match = _JOB_ID.search(text)
    if match is None:
        stream.refuse(f"{path}.path", "the polling path does not read the job id from the creation response")
        return "id"
    key = "path" if polling.get("path") else "url"
    polling[key] = text.replace(match.group(0), "__JOB_ID__")
    return str(match.group(1) or match.group(2))


def _field_path(extractor: object) -> str:
    keys = extractor.get("field_path") if isinstance(extractor, dict) else None
    return ".".join(str(key) for key in keys or [])
