"""FastAPI dependencies of the messages domain."""

from __future__ import annotations

from epidesk.kit.merges import MergePart
from epidesk.messages import repository

# Messages to a merged record are the survivor's; nothing to settle.
person_merge = MergePart(covers=("outbound_message.resident_id",), apply=repository.merge_rows)
