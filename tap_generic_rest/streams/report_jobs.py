"""Report jobs at sync time: per partition, one job created, polled until it is done, its result downloaded
and read by the normal extraction (``report_job``, see ``description/report_job.py``).

Every request of a job (create, poll, download) is built like a data request (base URL, the description's
headers, templates with the partition's variables and ``job_id``) and sent through the stream's own request
path: the run's session (same-host redirects), its authenticator, retries, the rate-limit gate and
``response_actions``. A download URL read from the status response must be on the API's scheme and host, as
a next-page URL must. A failed job, a job still running at ``poll.timeout``, an unknown status or a
missing job id / download URL is one :class:`StreamError` line naming the job.

A partition's bookmark moves only when the partition ends, i.e. after its job's records are all written
(a report job's stream is never treated as sorted); a run killed during a job leaves the bookmark where it
was, and the next run creates a new job for the same range.
"""

from __future__ import annotations

import json
import time
import typing as t
from urllib.parse import urljoin, urlsplit

from tap_generic_rest.errors import REDACTOR, StreamError
from tap_generic_rest.expressions.selectors import lookup
from tap_generic_rest.http.decoders import JSON, Decoder, streaming
from tap_generic_rest.http.responses import MalformedResponseError, response_json
from tap_generic_rest.streams import sdk_seam

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator, Sequence

    import requests
    from singer_sdk.helpers.types import Context, RequestFunc

    from tap_generic_rest.description.model import Resource
    from tap_generic_rest.description.report_job import JobRequest, ReportJob
    from tap_generic_rest.streams.extraction import RecordExtractor
    from tap_generic_rest.streams.request_builder import RequestBuilder

    class JobStream(t.Protocol):
        """What a report job needs of its stream (no import of the stream module: no import circle)."""

        name: str
        resource: t.ClassVar[Resource]
        request_builder: RequestBuilder
        extractor: RecordExtractor

        @property
        def logger(self) -> logging.Logger: ...
        @property
        def primary_keys(self) -> Sequence[str]: ...
        def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest: ...
        def request_decorator(self, func: RequestFunc) -> RequestFunc: ...

Record = dict[str, t.Any]
#: at most this many characters of what the server said about a failed job
_SAID = 300


class ReportJobs:
    """The report jobs of one stream: one per partition."""

    def __init__(self, stream: JobStream, sleep: Callable[[float], None] = time.sleep) -> None:
        """Jobs of ``stream`` (a report-job resource); ``sleep`` waits between polls."""
        self._stream = stream
        self._job = t.cast("ReportJob", stream.resource.report_job)
        self._sleep = sleep

    def records(self, context: Context | None) -> Iterator[Record]:
        """Create the partition's job, wait until it is done, and read every record of its result."""
        created = self._send(self._job.create, context, None)
        job_id = self._job_id(created)
        self._stream.logger.info("stream %s: report job %s created%s", self._stream.name, job_id, _of(context))
        status = self._wait(job_id, context)
        reading = (self._job.decoder, self._job.selector)
        for url in self._targets(status, job_id):
            response = self._send(self._job.download, context, job_id, url, self._job.decoder)
            yield from self._stream.extractor.select(response, self._stream.primary_keys, reading)
        self._stream.logger.info("stream %s: report job %s read", self._stream.name, job_id)

    def _send(self, spec: JobRequest, context: Context | None, job_id: object, url: str | None = None,
              decoder: Decoder = JSON) -> requests.Response:
        """One request of the job, through the stream's request path (retries, auth, session)."""
        stream = self._stream
        extra = {"job_id": job_id} if job_id is not None else None
        request = stream.request_builder.build(spec, context, extra, url, decoder.accept)
        body = {"data": request.data} if spec.data is not None else {"json": request.data}
        prepared = stream.build_prepared_request(method=request.method, url=request.url, params=request.params,
                                                 headers=request.headers, **body)

        def send(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            return sdk_seam.send_request(stream, prepared, context)  # counted, like a page's request

        return stream.request_decorator(streaming(send, decoder))(prepared, context)

    def _job_id(self, created: requests.Response) -> object:
        document = self._json(created, "create")
        job_id = lookup(document, self._job.job_id_path)
        if job_id is None or job_id == "" or isinstance(job_id, (dict, list)):
            raise StreamError(f"stream {self._stream.name}: the job-creating response from "
                              f"{REDACTOR.url(created.url)} has no job id at job_id_path {self._job.job_id_path!r} "
                              f"(it has: {_keys(document)}); fix report_job.job_id_path")
        return job_id

    def _wait(self, job_id: object, context: Context | None) -> t.Any:
        """The status document of the finished job; polls every ``interval`` s until ``timeout``."""
        job = self._job
        deadline = time.monotonic() + job.timeout
        while True:
            document = self._json(self._send(job.poll, context, job_id), "poll")
            status = lookup(document, job.status_path)
            kind = job.status_mapping.get(str(status))
            if kind == "completed":
                return document
            if kind in {"failed", "timeout"} or kind is None:
                raise StreamError(self._ended(job_id, status, kind, document, context))
            if time.monotonic() + job.interval > deadline:
                raise StreamError(f"stream {self._stream.name}: report job {job_id}{_of(context)} did not finish "
                                  f"within {job.timeout:g} s (last status {status!r}); raise report_job.poll.timeout, "
                                  "or run again later (a new job is created)")
            self._sleep(job.interval)

    def _ended(self, job_id: object, status: object, kind: str | None, document: t.Any, context: Context | None) -> str:
        where = f"stream {self._stream.name}: report job {job_id}{_of(context)}"
        if kind is None:
            known = ", ".join(f"{value!r}" for value in self._job.status_mapping)
            return (f"{where} has status {status!r} at status_path {self._job.status_path!r}, which status_mapping "
                    f"does not name (it names: {known}); add it to report_job.status_mapping")
        said = lookup(document, self._job.error_path) if self._job.error_path else document
        text = REDACTOR.text(" ".join(json.dumps(said, default=str).split()))[:_SAID]
        what = "failed" if kind == "failed" else "timed out on the server"
        return f"{where} {what} (status {status!r}); the server said: {text}"

    def _targets(self, status: t.Any, job_id: object) -> Iterator[str | None]:
        """The download URLs (``url_path``: one or a list), each on the API's host; None: ``download.path``."""
        if not self._job.url_path:
            yield None
            return
        found = lookup(status, self._job.url_path)
        urls = found if isinstance(found, list) else [found]
        if not urls or not all(isinstance(url, str) and url for url in urls):
            raise StreamError(f"stream {self._stream.name}: report job {job_id} completed, but its status has no "
                              f"download URL at url_path {self._job.url_path!r} (it has: {_keys(status)}); fix "
                              "report_job.download.url_path")
        base = self._stream.request_builder.url_base
        for url in urls:
            full = urljoin(base + "/", str(url))
            if urlsplit(full)[:2] != urlsplit(base)[:2]:
                raise StreamError(f"stream {self._stream.name}: report job {job_id}: the download URL "
                                  f"{REDACTOR.url(full)} points at another scheme or host than {REDACTOR.url(base)}; "
                                  "refusing to send credentials there")
            yield full

    def _json(self, response: requests.Response, step: str) -> t.Any:
        try:
            return response_json(response)
        except MalformedResponseError as exc:
            raise StreamError(f"stream {self._stream.name}: the job's {step} response from "
                              f"{REDACTOR.url(response.url)}: {exc}") from None


def _keys(document: object) -> str:
    return ", ".join(map(str, document)) if isinstance(document, dict) else type(document).__name__


def _of(context: Context | None) -> str:
    return f" (partition {dict(context)})" if context else ""
