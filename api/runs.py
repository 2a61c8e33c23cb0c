"""The runs API: create, list your own, retrieve, cancel, and the live event stream.
Every write is a call to tools.services, whose errors DRF's handler (core.errors) answers;
the stream is tools' own SSE view."""

from __future__ import annotations

import uuid

import django_filters
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from tools import selectors as run_selectors
from tools import services as run_services
from tools import views as run_views
from tools.models import Run
from tools.schema import SchemaError

from . import serializers
from .auth import BearerTokenAuthentication
from .errors import error_response
from .schema import DETAIL_ERROR


class RunFilter(django_filters.FilterSet):
    tool = django_filters.CharFilter(field_name="tool__slug", max_length=100)
    state = django_filters.ChoiceFilter(choices=Run.State.choices)

    class Meta:
        model = Run
        fields = ["tool", "state"]


@extend_schema_view(
    list=extend_schema(summary="Your runs, newest first"),
    retrieve=extend_schema(summary="One of your runs"),
)
class RunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.RunSerializer
    filterset_class = RunFilter
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Run]:
        return run_selectors.runs_of(self.request.user)

    def get_object(self) -> Run:
        try:
            return super().get_object()
        except (ValueError, ValidationError):  # not a UUID: simply not found
            raise Http404

    @extend_schema(
        summary="Run a tool with inputs (queued; watch `events_url` or poll the run)",
        request=serializers.RunCreateSerializer,
        responses={
            201: serializers.RunSerializer,
            503: OpenApiResponse(
                {"type": "object", "properties": DETAIL_ERROR["properties"]},
                description="The queue is unavailable.",
            ),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = serializers.RunCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        tool = body.validated_data["tool"]
        if tool.current_version is None:
            raise ValidationError({"tool": ["This tool has no published version to run yet."]})
        run_services.run_queue_check()
        try:
            run = run_services.run_create(
                tool=tool,
                user=request.user,
                inputs=body.validated_data["inputs"],
                sampling=body.validated_data.get("sampling") or None,
            )
        except SchemaError as exc:
            # Its keys are the tool's field names, inside the request's `inputs`: nested
            # under it, as DRF reports a nested serializer's errors.
            raise ValidationError({"inputs": exc.errors})
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Follow up a finished run: a new run that continues its conversation",
        request=serializers.RunFollowupSerializer,
        responses={201: serializers.RunSerializer},
    )
    @action(detail=True, methods=["post"])
    def followup(self, request: Request, pk: str | None = None) -> Response:
        body = serializers.RunFollowupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parent = self.get_object()
        run_services.followup_check(parent=parent, user=request.user)
        run_services.run_queue_check()
        # Its errors (the conversation over the prompt limit, the live-run cap) carry their
        # own code and field, as core.errors renders them.
        run = run_services.run_followup(
            parent=parent, user=request.user, message=body.validated_data["message"]
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Cancel your run (a running one keeps its partial output)", request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = run_services.run_cancel(run=self.get_object())
        return Response(self.get_serializer(run).data)


async def run_events(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    """tools' SSE view, also for API callers: a valid Bearer token stands for the session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer"):
        auth = BearerTokenAuthentication()
        try:
            result = await sync_to_async(auth.authenticate)(request)
        except AuthenticationFailed as exc:
            error = ApplicationError(str(exc.detail), code="authentication_failed", status=401)
            response = error_response(error)
            response["WWW-Authenticate"] = auth.authenticate_header(request)
            return response
        if result is None:  # a header this scheme does not claim: not a token either
            error = ApplicationError(
                "Invalid Authorization header.", code="authentication_failed", status=401
            )
            response = error_response(error)
            response["WWW-Authenticate"] = auth.authenticate_header(request)
            return response
        user = result[0]

        async def auser() -> AbstractBaseUser:
            return user

        request.auser = auser
    try:
        return await run_views.run_events(request, run_id)
    except Http404:
        return error_response(ApplicationError("Not found.", code="not_found", status=404))
