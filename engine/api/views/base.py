"""What every API view shares: authentication order, parsers, the error shape."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from engine.api.errors import exception_handler
from engine.api.filters import ALWAYS_ALLOWED
from engine.api.parsers import JSONParser
from engine.api.serializers import ErrorSerializer

STATUS_TEXT = {
    400: "Bad input: `errors` lists each problem with its path",
    401: "Not signed in (no or a bad token)",
    403: "Signed in, but without the permission this needs",
    404: "No such object, or not one you may see",
    409: "Conflict with the current state (frozen version, already done, not active)",
    413: "Body or data too large",
    422: "The Idempotency-Key was used before with another body",
    503: "The database cannot be reached: try again after Retry-After seconds",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI entries for the error answers of an operation (every one has 401 and 503)."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=STATUS_TEXT[code])
        for code in sorted({401, 503, *codes})
    }


class ApiView(GenericAPIView):
    # Token first: an anonymous caller gets 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    # JSON only: the browsable docs are the Swagger UI at /api/v1/docs/.
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return exception_handler

    def valid(self, serializer_class, data, **kwargs) -> dict:
        """``data`` checked by ``serializer_class``; a 400 listing every problem otherwise."""
        serializer = serializer_class(data=data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def query(self, serializer_class) -> dict:
        """The query parameters checked by ``serializer_class``; a 400 for any it does not
        name (a misspelt filter would otherwise answer every row without a word)."""
        params = self.request.query_params
        known = set(serializer_class().fields) | ALWAYS_ALLOWED
        unknown = sorted(set(params) - known)
        if unknown:
            allowed = ", ".join(sorted(known))
            raise ValidationError(
                {name: [f"Not a parameter of this endpoint: use {allowed}."] for name in unknown}
            )
        return self.valid(serializer_class, params)

    def listing(self, rows, query_class, params: dict, serializer_class):
        """One page of ``rows`` in the order ``params`` asks for."""
        return self.page(query_class.order(rows, params), serializer_class)

    def body(self, serializer_class, **kwargs) -> dict:
        data = self.request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        serializer = serializer_class(data=data, context=self.get_serializer_context(), **kwargs)
        writable = {name for name, field in serializer.fields.items() if not field.read_only}
        unknown = sorted(set(data) - writable)
        serializer.is_valid(raise_exception=not unknown)
        if unknown:
            # A misspelt field would otherwise be dropped without a word.
            problems = dict(serializer.errors)
            for name in unknown:
                problems[name] = [
                    f"Not a field you can set here: use {', '.join(sorted(writable))}."
                ]
            raise ValidationError(problems)
        return serializer.validated_data

    def out(self, serializer_class, instance, **kwargs) -> dict:
        return serializer_class(instance, context=self.get_serializer_context(), **kwargs).data

    def page(self, queryset, serializer_class):
        rows = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.out(serializer_class, rows, many=True))
