"""The point where a saved response meets safety: ``evaluate(response)`` returns what safety found.

``do_submit_response`` calls ``evaluate`` inside the transaction that saves the response, so a
finding (and, once the Safety issue lands, the alert it opens with its deadline) is stored with the
answer or not at all, and the patient's very next screen can show crisis help. The contract the
Safety implementation must keep:

- ``evaluate`` runs inside the caller's transaction and may write (alerts, audit rows) there;
- it is idempotent per response: called again for the same response (a retried submission) it
  returns the same findings without opening a second alert, because a retry after a lost reply
  must show the patient the same help;
- it never calls out to the network or a worker.

Until then it finds nothing; the response's own ``risk_flags`` are still stored and shown to staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careloop.measures.models import Response


@dataclass(frozen=True)
class SafetyFinding:
    """One thing safety noticed in a response, and what it means for the person who answered."""

    code: str  # e.g. "self_harm_thoughts"
    severity: str  # "routine", "urgent" or "emergency"
    message: str  # plain words for the patient's screen
    crisis_resources: tuple[str, ...] = field(default=())


def evaluate(response: Response) -> list[SafetyFinding]:
    """Evaluate one saved response; the Safety issue fills this in (see the module docstring)."""
    from careloop.safety.evaluation import evaluate as evaluate_safety  # safety imports this module

    return evaluate_safety(response)
