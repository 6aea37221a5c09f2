"""Background work of sensing (``django_tasks``): running an uploaded import. The command line runs the
same `run_import` synchronously; the task only adds the queue in between.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django_tasks import task

from careloop.sensing.actions import discard_upload
from careloop.sensing.ingest import run_import
from careloop.sensing.models import ImportJob, JobState


@task()
def run_import_job(job_id: str) -> dict[str, Any]:
    """Run a queued import job and delete its staged upload; returns the job's counts."""
    job = ImportJob.objects.select_related("patient").get(pk=job_id)
    if job.state != JobState.QUEUED:
        return job.counts()  # a job runs once, even if enqueued twice
    try:
        run_import(job, Path(job.upload_path))
    except Exception:
        job.state, job.error = JobState.FAILED, "the import stopped on an internal error; see the worker log"
        job.save(update_fields=["state", "error"])
        raise
    finally:
        discard_upload(job)
    return job.counts()
