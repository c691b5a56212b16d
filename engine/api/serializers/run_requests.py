"""Requests on runs beyond starting them: ``?wait=`` and a change of the data."""

from __future__ import annotations

from rest_framework import serializers

# The most a request may ask for; the server may cut it further
# (WAYMARK_API_MAX_WAIT_SECONDS, engine.services.waits).
MAX_WAIT = 60


class WaitQuery(serializers.Serializer):
    wait = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_WAIT,
        help_text=f"Seconds (0 to {MAX_WAIT}) to hold the answer until the run completes, is "
        "cancelled or fails; the answer then shows the run as it is. The server may cut the "
        "wait shorter (WAYMARK_API_MAX_WAIT_SECONDS).",
    )


class RunDataSerializer(serializers.Serializer):
    data = serializers.DictField(help_text="fields to set (merge) or the whole data (replace)")
    mode = serializers.ChoiceField(
        choices=["merge", "replace"],
        default="merge",
        help_text="merge (default): each top-level field given replaces that field, others "
        "stay; replace: the data becomes exactly what is given",
    )
