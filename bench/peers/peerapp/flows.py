"""The benchmark's processes as django-viewflow flows (built in a loop: 20 steps)."""

from django.contrib.auth import get_user_model
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.flow.views import UpdateProcessView

STEPS = 20
HUMAN_TASKS = 4


def _step(self, activation):
    """An automatic step that does next to nothing, like Waymark's bench handler."""
    activation.process.data = {**(activation.process.data or {}), "last": activation.flow_task.name}


def _owner(self, activation):
    return get_user_model().objects.get(username="bench")


def _linear():
    attrs = {"__module__": __name__, "__doc__": "Linear", "step": _step}
    attrs["start"] = flow.StartHandle().Next(this.s0)
    for i in range(STEPS):
        following = this.end if i == STEPS - 1 else getattr(this, f"s{i + 1}")
        attrs[f"s{i}"] = flow.Function(this.step).Next(following)
    attrs["end"] = flow.End()
    return type("LinearFlow", (flow.Flow,), attrs)


def _human():
    """Four human tasks assigned to one user, then an automatic step."""
    attrs = {"__module__": __name__, "__doc__": "Human", "step": _step, "owner": _owner}
    attrs["start"] = flow.StartHandle().Next(this.h0)
    for i in range(HUMAN_TASKS):
        following = this.notify if i == HUMAN_TASKS - 1 else getattr(this, f"h{i + 1}")
        attrs[f"h{i}"] = (
            flow.View(UpdateProcessView.as_view(fields=[])).Assign(this.owner).Next(following)
        )
    attrs["notify"] = flow.Function(this.step).Next(this.end)
    attrs["end"] = flow.End()
    return type("HumanFlow", (flow.Flow,), attrs)


LinearFlow = _linear()
HumanFlow = _human()
