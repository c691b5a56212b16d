"""processes/{code}/versions/ and the lifecycle actions of a version."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from engine import bpmn, permissions
from engine import definition_format as fmt
from engine.api import errors, lookups
from engine.api.filters import VersionQuery
from engine.api.parsers import DefinitionTextParser, JSONParser, RawBody, find_bad_text
from engine.api.renderers import BpmnXMLRenderer, DefinitionJSONRenderer, DefinitionYAMLRenderer
from engine.api.serializers import (
    DiffQuerySerializer,
    ImportQuerySerializer,
    NoteSerializer,
    ValidationResultSerializer,
    VersionDetailSerializer,
    VersionSerializer,
    VersionUpdateSerializer,
)
from engine.api.views.base import ApiView, error_responses
from engine.core import validation
from engine.models import Process
from engine.services import definitions
from engine.tenancy import tenant_id_for


class VersionList(ApiView):
    serializer_class = VersionSerializer

    @extend_schema(
        summary="A process's versions, newest first",
        parameters=[VersionQuery],
        responses={200: VersionSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, code: str):
        process = lookups.process(request, code)
        params = self.query(VersionQuery)
        rows = process.versions.select_related(
            "process", "created_by", "published_by", "cloned_from"
        )
        if "status" in params:
            rows = rows.filter(status=params["status"])
        return self.listing(rows, VersionQuery, params, VersionSerializer)


class VersionImport(ApiView):
    """Import a definition file as a new draft of this process (created if new)."""

    serializer_class = VersionSerializer
    parser_classes = [JSONParser, MultiPartParser, DefinitionTextParser]

    @extend_schema(
        summary="Import a definition (JSON body, YAML or BPMN 2.0 XML body, or a multipart 'file')",
        description=(
            "A BPMN 2.0 file (application/xml, or a .bpmn/.xml file) is read as docs/bpmn.md "
            "says; the answer then lists what was not carried over in `not_carried_over`."
        ),
        parameters=[ImportQuerySerializer],
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/yaml": OpenApiTypes.STR,
            "application/xml": OpenApiTypes.STR,
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        },
        responses={201: VersionSerializer, **error_responses(400, 403, 404, 413)},
    )
    def post(self, request, code: str):
        options = self.query(ImportQuerySerializer)
        permissions.require(request.user, permissions.DESIGN, "import definitions")
        if options["publish"]:
            permissions.require(request.user, permissions.PUBLISH, "publish versions")
        existing = Process.objects.filter(code=code).first()
        if existing is not None and not lookups.processes(request).filter(pk=existing.pk).exists():
            raise Http404(f"There is no process {code!r}.")
        try:
            data, bpmn_file = self._definition(request, code)
        except RecursionError as exc:
            raise ValidationError({"file": ["The file is nested too deeply."]}) from exc
        problem = find_bad_text(data)
        if problem is not None:
            raise ValidationError({"file": [f"The file cannot be stored: {problem}."]})
        found = (data.get("process") or {}) if isinstance(data, dict) else {}
        if isinstance(found, dict) and found and not found.get("code"):
            found["code"] = code  # a file without a code is for the process it is sent to
        if isinstance(found, dict) and found.get("code") != code:
            said = f"is for {found['code']!r}" if found.get("code") else "names no process code"
            raise ValidationError({"process": {"code": [f"The file {said}; this is {code!r}."]}})
        where = {"user": request.user, "publish_it": options["publish"]}
        where["tenant_id"] = tenant_id_for(request)
        skipped: list[bpmn.Skipped] = []
        if bpmn_file is not None:
            version, skipped = bpmn.import_bpmn(bpmn_file, **where)
        else:
            version = definitions.import_definition(data, **where)
        version.refresh_from_db()  # publishing worked on its own copy of the row
        body = self.out(VersionSerializer, version)
        if bpmn_file is not None:
            body["not_carried_over"] = [item.as_dict() for item in skipped]
        return Response(body, status=status.HTTP_201_CREATED)

    def _definition(self, request, code: str) -> tuple[dict, bpmn.BpmnFile | None]:
        """The definition sent, and the BPMN file it was read from (None for JSON/YAML)."""
        data = request.data
        upload = request.FILES.get("file")
        if request.content_type.startswith("multipart/") and upload is None:
            raise ValidationError({"file": ["Send the definition as a file field named 'file'."]})
        text, filename = None, ""
        if upload is not None:
            text, filename = upload.read(fmt.MAX_FILE_BYTES + 1), upload.name or ""
        elif isinstance(data, RawBody):
            text = data.text
            filename = "definition.yaml" if "yaml" in data.media_type else ""
            filename = "definition.xml" if "xml" in data.media_type else filename
        if text is not None and bpmn.looks_like_bpmn(text, filename):
            bpmn_file = bpmn.read(text)
            if not bpmn_file.names_code:
                bpmn_file.definition["process"]["code"] = code  # a modeler's file: this process
            return bpmn_file.definition, bpmn_file
        if text is not None:
            return fmt.parse_text(text, filename=filename), None
        if not isinstance(data, dict) or not data:
            raise ValidationError(
                {"non_field_errors": ["Send a definition: a JSON object, YAML text or a file."]}
            )
        return data, None


class VersionDetail(ApiView):
    serializer_class = VersionDetailSerializer

    @extend_schema(
        summary="A version with its activities and transitions",
        responses={200: VersionDetailSerializer, **error_responses(404)},
    )
    def get(self, request, code: str, number: int):
        return Response(self.out(VersionDetailSerializer, lookups.version(request, code, number)))

    @extend_schema(
        summary="Change a draft's default retry policy",
        request=VersionUpdateSerializer,
        responses={200: VersionDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.DESIGN, "edit drafts")
        fields = self.body(VersionUpdateSerializer, partial=True)
        if "default_retry" in fields:
            version = definitions.set_default_retry(
                version, fields["default_retry"], user=request.user
            )
        return Response(self.out(VersionDetailSerializer, version))

    @extend_schema(
        summary="Delete a draft", responses={204: None, **error_responses(403, 404, 409)}
    )
    def delete(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.DESIGN, "delete drafts")
        definitions.delete_draft(version, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionClone(ApiView):
    serializer_class = VersionSerializer

    @extend_schema(
        summary="Copy this version into a new draft",
        request=NoteSerializer,
        responses={201: VersionSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.DESIGN, "clone versions")
        note = self.body(NoteSerializer)["note"]
        draft = definitions.clone(version, user=request.user, note=note)
        return Response(self.out(VersionSerializer, draft), status=status.HTTP_201_CREATED)


class VersionPublish(ApiView):
    serializer_class = VersionSerializer

    @extend_schema(
        summary="Publish this draft (the published version is retired)",
        request=NoteSerializer,
        responses={200: VersionSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.PUBLISH, "publish versions")
        note = self.body(NoteSerializer)["note"]
        version = definitions.publish(version, user=request.user, note=note)
        return Response(self.out(VersionSerializer, version))


class VersionRollback(ApiView):
    serializer_class = VersionSerializer

    @extend_schema(
        summary="Publish this retired version again",
        request=NoteSerializer,
        responses={200: VersionSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        permissions.require(request.user, permissions.PUBLISH, "roll back versions")
        note = self.body(NoteSerializer)["note"]
        try:
            version = definitions.rollback(version, user=request.user, note=note)
        except definitions.DefinitionError as exc:
            raise errors.Conflict(exc.message) from exc
        return Response(self.out(VersionSerializer, version))


class VersionValidate(ApiView):
    serializer_class = ValidationResultSerializer

    @extend_schema(
        summary="Problems of this version (errors first)",
        responses={200: ValidationResultSerializer, **error_responses(404)},
    )
    def get(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        problems = definitions.validate_version(version)
        return Response(
            {
                "valid": not validation.has_errors(problems),
                "problems": [p.to_dict() for p in problems],
                "text_conditions": [c.to_dict() for c in definitions.text_conditions(version)],
            }
        )


class VersionDiff(ApiView):
    @extend_schema(
        summary="What changed from version `against` to this one, matched by key",
        parameters=[DiffQuerySerializer],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 404)},
    )
    def get(self, request, code: str, number: int):
        options = self.query(DiffQuerySerializer)
        version = lookups.version(request, code, number)
        try:
            old = lookups.version(request, code, options["against"])
        except Http404 as exc:
            raise ValidationError(
                {"against": [f"There is no version {options['against']} of {code!r}."]}
            ) from exc
        changes = definitions.diff_versions(old, version)
        if not options["layout"]:
            changes = changes.without_layout()
        return Response({"old": old.number, "new": version.number, **changes.to_dict()})


class VersionExport(ApiView):
    renderer_classes = [DefinitionJSONRenderer, DefinitionYAMLRenderer, BpmnXMLRenderer]

    @extend_schema(
        summary="The version as a waymark.process/1 file (JSON or YAML) or as BPMN 2.0 XML",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "yaml", "bpmn"],
                description="or send Accept: application/yaml (bpmn: BPMN 2.0 XML, docs/bpmn.md)",
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, "application/yaml"): OpenApiResponse(OpenApiTypes.STR),
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR),
            **error_responses(404),
        },
    )
    def get(self, request, code: str, number: int):
        version = lookups.version(request, code, number)
        extension = request.accepted_renderer.format
        if extension == "bpmn":
            response = Response(bpmn.export_bpmn(version))
        else:
            response = Response(definitions.export_version(version))
        response["Content-Disposition"] = (
            f'attachment; filename="{version.process.code}-v{version.number}.{extension}"'
        )
        return response

    def handle_exception(self, exc):
        # Errors keep the one JSON error shape, never XML.
        if getattr(getattr(self.request, "accepted_renderer", None), "format", "") == "bpmn":
            self.request.accepted_renderer = DefinitionJSONRenderer()
            self.request.accepted_media_type = DefinitionJSONRenderer.media_type
        return super().handle_exception(exc)
