"""Client test helpers: Workflow subclasses of deployed processes."""

from __future__ import annotations

import pytest

from tests.engine.conftest import deploy
from waymark_client import Workflow


class Review(Workflow):
    process_code = "review"


class Quick(Workflow):
    process_code = "quick"


class Missing(Workflow):
    process_code = "missing"


class DraftOnly(Workflow):
    process_code = "draft-only"


@pytest.fixture
def processes(settings):
    """review (waits for a person; input schema needs customer), quick (ends at once), a draft."""
    from engine.models.definitions import clear_graph_cache
    from engine.services import definitions

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    deploy(
        [{"key": "review", "kind": "human", "allowed_groups": ["approvers"]}],
        ["start > review", "review > end"],
        code="review",
        input_schema={
            "type": "object",
            "properties": {"customer": {"type": "string"}},
            "required": ["customer"],
        },
    )
    deploy([], ["start > end"], code="quick")
    definitions.create_process("draft-only", "Draft only")
    yield
    clear_graph_cache()
