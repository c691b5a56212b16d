"""Build graphs concisely in tests: ``graph("start>a, a>end", a="human")``."""

from engine.core.graph import Activity, ActivityKind, Graph, Transition


def graph(edges: str, conditions: dict | None = None, defaults=(), **kinds) -> Graph:
    """Edges as ``"src>dst, ..."``; kinds by key (start/end inferred from the names).

    A kind may be a string or an Activity-field dict with a "kind" entry.
    Transition keys are ``src>dst``; ``conditions`` maps them to condition text.
    """
    conditions = conditions or {}
    keys: list[str] = []
    pairs = []
    for part in filter(None, (p.strip() for p in edges.split(","))):
        source, target = (s.strip() for s in part.split(">"))
        pairs.append((source, target))
        keys += [k for k in (source, target) if k not in keys]
    keys += [k for k in kinds if k not in keys]
    activities = []
    for key in keys:
        spec = kinds.get(key)
        if spec is None:
            spec = (
                "start" if key.startswith("start") else "end" if key.startswith("end") else "human"
            )
        fields = dict(spec) if isinstance(spec, dict) else {"kind": spec}
        kind = ActivityKind(fields.pop("kind"))
        if kind == ActivityKind.AUTOMATIC:
            fields.setdefault("handler", "tests.handler")
        activities.append(Activity(key=key, kind=kind, name=key, **fields))
    transitions = [
        Transition(
            key=f"{s}>{t}",
            source=s,
            target=t,
            condition=conditions.get(f"{s}>{t}", ""),
            is_default=f"{s}>{t}" in defaults,
        )
        for s, t in pairs
    ]
    return Graph(activities, transitions)
