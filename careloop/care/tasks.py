"""Background tasks of the workspace (``django_tasks``): file suggestions for clinicians to review.

Suggestions only ever wait in the review queue; running this task (or not) never changes what a
patient sees.
"""

from __future__ import annotations

from django_tasks import task

from careloop.care.suggestions import suggest_all


@task()
def generate_suggestions() -> int:
    """Run every suggestion rule for every patient with passive data; returns how many were filed."""
    return suggest_all()
