"""Use cases of customer guidance, one module per use case. Each write runs in one
transaction and writes its audit event; live events go to the screens after commit.

- ``issuing``: a ticket from the kiosk, reception or a check-in; is walk-in open?
- ``calling``: call the next visitor to a desk (the routing's order, claimed by the database)
- ``transitions``: recall, start, finish, no-show at a desk; priority and cancel at reception
- ``transfer``: hand a visitor over to a queue, a desk or a colleague, with a note
- ``desks``: sign in at a desk, pause, close; the checks every desk action makes
- ``end_of_day``: close what a service day left open
- ``announcements``: the lines the waiting-room screens rotate through
- ``shared``: the audit and live events of a ticket's change, a transition applied

Correctness under concurrency is the database's job, on PostgreSQL and SQLite alike (see each
module). The hand-written statements are in ``onthaal.queue.statements``.

Callers use ``from onthaal.queue import services`` and ``services.<use case>``: the names
below are the package's interface.
"""

from onthaal.queue.services.announcements import announcement_create, announcement_end
from onthaal.queue.services.calling import (
    CANDIDATE_FIELDS,
    CLAIM_BATCH,
    _claim_and_record,
    call_next,
    head_candidates,
    waiting_candidates,
)
from onthaal.queue.services.desks import (
    current_ticket,
    current_ticket_desk,
    desk_departments,
    desk_session,
    desk_view,
    load_desk,
    open_desk,
    served_queues,
    set_desk_state,
)
from onthaal.queue.services.end_of_day import CLOSING_GRACE, close_day, closing_time, housekeeping
from onthaal.queue.services.issuing import (
    _issue_and_record,
    issue_ticket,
    submitted_ticket,
    walk_in_hours,
    walk_in_status,
)
from onthaal.queue.services.shared import POLICY
from onthaal.queue.services.shared import apply as _apply
from onthaal.queue.services.transfer import transfer
from onthaal.queue.services.transitions import (
    MAX_QUANTITY,
    cancel,
    finish,
    get_ticket,
    no_show,
    recall,
    set_priority,
    start,
)

__all__ = [
    "CANDIDATE_FIELDS",
    "CLAIM_BATCH",
    "CLOSING_GRACE",
    "MAX_QUANTITY",
    "POLICY",
    "_apply",
    "_claim_and_record",
    "_issue_and_record",
    "announcement_create",
    "announcement_end",
    "call_next",
    "cancel",
    "close_day",
    "closing_time",
    "current_ticket",
    "current_ticket_desk",
    "desk_departments",
    "desk_session",
    "desk_view",
    "finish",
    "get_ticket",
    "head_candidates",
    "housekeeping",
    "issue_ticket",
    "load_desk",
    "no_show",
    "open_desk",
    "recall",
    "served_queues",
    "set_desk_state",
    "set_priority",
    "start",
    "submitted_ticket",
    "transfer",
    "waiting_candidates",
    "walk_in_hours",
    "walk_in_status",
]
