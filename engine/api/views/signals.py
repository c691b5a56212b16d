"""signals/: deliver a signal to the runs waiting for it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from engine import permissions
from engine.api.serializers import SignalResultSerializer, SignalSerializer
from engine.api.views.base import ApiView, error_responses
from engine.services import runtime


class SignalSend(ApiView):
    serializer_class = SignalSerializer

    @extend_schema(
        summary="Send a signal: wakes the runs waiting for it, or keeps it for later",
        description=(
            "Needs the 'manage runs' permission: a signal can move any run waiting for it. "
            "Runs waiting on `name` whose correlation value equals `correlation` (as text) "
            "wake up with `payload` merged into their data; when none waits the signal is "
            "kept (WAYMARK_SIGNAL_RETENTION) for the first run that starts waiting, unless a "
            "process has a `signal` trigger of that name: then it starts a run (`started`). "
            "It reaches only runs of the sender's tenant (a kept one too), and the sender "
            "is recorded as the actor of `signal.received`."
        ),
        request=SignalSerializer,
        responses={200: SignalResultSerializer, **error_responses(400, 403, 413)},
    )
    def post(self, request):
        permissions.require(request.user, permissions.MANAGE_RUNS, "send signals")
        fields = self.body(SignalSerializer)
        result = runtime.send_signal(
            fields["name"], fields["payload"], fields["correlation"], user=request.user
        )
        return Response(
            {
                "woken": list(result.woken),
                "started": list(result.started),
                "kept": result.kept is not None,
                "pending_signal": result.kept.pk if result.kept is not None else None,
            }
        )
