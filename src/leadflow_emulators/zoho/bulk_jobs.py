"""Bulk job state of one emulated org, owned by its ``ZohoBackend`` (``backend.jobs``): uploaded files,
write and read jobs, and the worker that runs them. A finished job POSTs its callback.

``reset()`` (the control plane's reset calls it through the backend) lets running jobs finish and then
forgets every file and job; ``close()`` stops the worker.

Example:
    >>> from leadflow_emulators.zoho.models import ZohoBackend
    >>> backend = ZohoBackend(seed=1)
    >>> backend.jobs.write_jobs, backend.jobs.read_jobs
    ({}, {})
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from leadflow_emulators.common.jobs import JobRunner
from leadflow_emulators.zoho.bulk import Upload, WriteJob, run_write_job
from leadflow_emulators.zoho.bulk_read import ReadJob, run_read_job
from leadflow_emulators.zoho.bulk_source import BackendSource

if TYPE_CHECKING:
    from leadflow_emulators.zoho.models.backend import ZohoBackend

log = logging.getLogger(__name__)
CALLBACK_TIMEOUT = 10.0
Notifier = Callable[[str, dict[str, Any]], None]


def post_callback(url: str, payload: dict[str, Any]) -> None:
    """POST a job's final state to its callback URL; failures are logged, never raised."""
    try:
        httpx.post(url, json=payload, timeout=CALLBACK_TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("bulk callback to %s failed: %s", url, exc)


class BulkJobs:
    """Uploaded files and jobs of one backend, plus the worker that runs the jobs."""

    def __init__(self, backend: ZohoBackend, notify: Notifier = post_callback) -> None:
        self.backend = backend
        self.source = BackendSource(backend)
        self.uploads: dict[str, Upload] = {}
        self.write_jobs: dict[str, WriteJob] = {}
        self.read_jobs: dict[str, ReadJob] = {}
        self.base_urls: dict[str, str] = {}
        self.runner = JobRunner(name="zoho-bulk-jobs")
        self.notify = notify

    def reset(self) -> None:
        """Let queued jobs finish, then forget every upload and job."""
        self.runner.wait_idle()
        self.uploads.clear()
        self.write_jobs.clear()
        self.read_jobs.clear()
        self.base_urls.clear()

    def close(self) -> None:
        self.runner.wait_idle()
        self.runner.close()

    def created_by(self) -> dict[str, str]:
        user = self.backend.directory.current_user()
        return {"id": str(user["id"]), "name": str(user["full_name"])}

    def download_url(self, job_id: str) -> str:
        return f"{self.base_urls.get(job_id, '')}/crm/bulk/v8/write/{job_id}/result"

    def submit_write(self, job: WriteJob) -> None:
        def run() -> None:
            job.state = "IN PROGRESS"
            try:
                run_write_job(job, writer=self.source.write, fields=self.source.fields, lookup_index=self.source.index)
                job.state = "COMPLETED"
            except Exception as exc:
                log.exception("bulk write job %s failed", job.id)
                job.state, job.error = "FAILED", str(exc)
            if job.spec.callback:
                payload = {"job_id": job.id, "state": job.state, **job.body(self.download_url(job.id))}
                self.notify(job.spec.callback["url"], payload)

        self.runner.submit(run)

    def submit_read(self, job: ReadJob) -> None:
        def run() -> None:
            job.state = "IN PROGRESS"
            try:
                run_read_job(
                    job,
                    fields=self.source.fields,
                    records=self.source.visible_records,
                    get_record=self.source.get_record,
                )
                job.state = "COMPLETED"
            except Exception as exc:
                log.exception("bulk read job %s failed", job.id)
                job.state, job.error = "FAILURE", str(exc)
            if job.spec.callback:
                self.notify(job.spec.callback["url"], {"job_id": job.id, **job.body()})

        self.runner.submit(run)
