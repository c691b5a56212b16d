"""E-mail to people about their workitems (SLA warnings and breaches)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from engine.models import WorkItem


def recipients(workitem: WorkItem) -> list[int]:
    """Who to tell about a workitem: its assignee, else its candidates (users and members)."""
    if workitem.assignee_id:
        return [workitem.assignee_id]
    User = get_user_model()
    rows = workitem.candidates.all()
    users = {r.user_id for r in rows if r.user_id}
    groups = [r.group_id for r in rows if r.group_id]
    if groups:
        users |= set(
            User.objects.filter(groups__in=groups, is_active=True).values_list("pk", flat=True)
        )
    return sorted(users)


def notify(user_id: int, workitem_ids: list[int] | None = None) -> int:
    """Send one e-mail to a user listing these workitems; returns messages sent (0 or 1)."""
    User = get_user_model()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not getattr(user, "email", ""):
        return 0
    items = list(
        WorkItem.objects.filter(pk__in=workitem_ids or []).select_related("instance__process")
    )
    if not items:
        return 0
    lines = []
    for item in items:
        marks = []
        if item.sla_breached_at:
            marks.append("SLA breached")
        elif item.sla_warned_at:
            marks.append("SLA warning")
        due = f", due {item.sla_breach_at:%Y-%m-%d %H:%M %Z}" if item.sla_breach_at else ""
        business = f" [{item.instance.business_key}]" if item.instance.business_key else ""
        lines.append(
            f"- {item.name or item.activity_key} in {item.instance.process.title}{business}"
            f" (run {item.instance_id}){due} {' '.join(marks)}".rstrip()
        )
    subject = (
        f"Waymark: {len(items)} task(s) need your attention"
        if len(items) > 1
        else f"Waymark: {items[0].name or items[0].activity_key} needs your attention"
    )
    return send_mail(subject, "\n".join(lines), None, [user.email], fail_silently=True)
