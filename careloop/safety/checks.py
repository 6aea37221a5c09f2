"""Django system checks of the safety data: stale crisis numbers (W001) and unreadable files (E001).

``careloop check`` (and every test run's start-up) warns when a crisis directory entry was last
verified more than 90 days ago, naming the entry, so an out-of-date number cannot ship quietly
(safety-privacy-ethics.md §3.4; Martinengo 2019 found wrong crisis numbers in 9% of apps).
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.utils import timezone
from pydantic import ValidationError

from careloop.safety.directory import MAX_AGE_DAYS, stale_entries
from careloop.safety.schema import crisis_directory, crisis_lexicon, default_escalation, risk_rules


@checks.register("careloop_safety")
def check_safety_data(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        for load in (risk_rules, crisis_lexicon, default_escalation, crisis_directory):
            load()
    except (ValidationError, OSError, ValueError) as error:
        return [checks.Error(f"safety data file does not load: {error}", id="careloop.safety.E001")]
    return [
        checks.Warning(
            f"crisis directory entry {entry.country}/{entry.contact_id} was last verified on "
            f"{entry.last_verified:%Y-%m-%d}, more than {MAX_AGE_DAYS} days ago",
            hint="re-verify the number with its provider, then update last_verified and verified_how",
            obj="careloop/safety/data/crisis_directory.yaml", id="careloop.safety.W001",
        )
        for entry in stale_entries(timezone.localdate())
    ]
