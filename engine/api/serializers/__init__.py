"""What the API reads and writes. Serializers check types and shapes only; every
rule about what may change lives in engine.services, which the views call.

One module per resource: common (ids, schemas, errors), definitions (processes,
versions, elements), runs (runs, incidents, signals), workitems, audit.
"""

from engine.api.serializers.audit import (
    AuditEventSerializer,
)
from engine.api.serializers.common import (
    MAX_ID,
    ErrorItemSerializer,
    ErrorSerializer,
    check_json_schema,
    run_page_url,
    username,
)
from engine.api.serializers.definitions import (
    ActivitySerializer,
    ActivityUpdateSerializer,
    DiffQuerySerializer,
    ImportQuerySerializer,
    NoteSerializer,
    ProblemSerializer,
    ProcessCreateSerializer,
    ProcessSerializer,
    ProcessUpdateSerializer,
    TextConditionSerializer,
    TransitionSerializer,
    TransitionUpdateSerializer,
    ValidationResultSerializer,
    VersionDetailSerializer,
    VersionSerializer,
    VersionUpdateSerializer,
)
from engine.api.serializers.runs import (
    CancelSerializer,
    IncidentSerializer,
    RunDetailSerializer,
    RunSerializer,
    RunStartSerializer,
    SignalResultSerializer,
    SignalSerializer,
)
from engine.api.serializers.workitems import (
    CompleteSerializer,
    ExpectedVersionSerializer,
    WorkItemDetailSerializer,
    WorkItemSerializer,
)

__all__ = [
    "ActivitySerializer",
    "ActivityUpdateSerializer",
    "AuditEventSerializer",
    "CancelSerializer",
    "CompleteSerializer",
    "DiffQuerySerializer",
    "ErrorItemSerializer",
    "ErrorSerializer",
    "ExpectedVersionSerializer",
    "ImportQuerySerializer",
    "IncidentSerializer",
    "MAX_ID",
    "NoteSerializer",
    "ProblemSerializer",
    "ProcessCreateSerializer",
    "ProcessSerializer",
    "ProcessUpdateSerializer",
    "RunDetailSerializer",
    "RunSerializer",
    "RunStartSerializer",
    "SignalResultSerializer",
    "SignalSerializer",
    "TextConditionSerializer",
    "TransitionSerializer",
    "TransitionUpdateSerializer",
    "ValidationResultSerializer",
    "VersionDetailSerializer",
    "VersionSerializer",
    "VersionUpdateSerializer",
    "WorkItemDetailSerializer",
    "WorkItemSerializer",
    "check_json_schema",
    "run_page_url",
    "username",
]
