"""REST API views: thin; reads through the selectors, writes through the services of store
and tools. Their errors (core.errors.ApplicationError) reach DRF's handler, which answers
them: no view catches them."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from store import selectors
from store import services as store_services
from store.models import Favorite, Review
from tools import selectors as tool_selectors
from tools import services as tool_services
from tools.models import Category, Tool, ToolVersion

from . import filters, serializers
from .errors import error_response
from .services import tool_update


class IsAuthorOrReadOnly(permissions.BasePermission):
    message = "Only the tool's author may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return getattr(obj, "author_id", None) == request.user.pk


class IsOwnerOrReadOnly(permissions.BasePermission):
    message = "You can only change your own reviews."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in permissions.SAFE_METHODS or obj.user_id == request.user.pk


@extend_schema_view(
    list=extend_schema(summary="Categories, with the number of listed tools in each"),
    retrieve=extend_schema(summary="One category"),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.CategorySerializer
    lookup_field = "slug"
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        listed = Q(tools__status=Tool.Status.PUBLISHED, tools__visibility=Tool.Visibility.PUBLIC)
        return Category.objects.annotate(tool_count=Count("tools", filter=listed)).order_by(
            "ordering", "name"
        )


@extend_schema_view(list=extend_schema(summary="Tags"), retrieve=extend_schema(summary="A tag"))
class TagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.TagSerializer
    lookup_field = "slug"
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return selectors.tags_visible().order_by("name")


@extend_schema_view(
    list=extend_schema(summary="Approved resources (models, data sets, papers, ...)"),
    retrieve=extend_schema(summary="One resource"),
)
class ResourceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ResourceSerializer
    filterset_class = filters.ResourceFilter
    lookup_field = "slug"
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return selectors.resources_listed().prefetch_related("tags").order_by("title", "pk")


@extend_schema_view(
    list=extend_schema(
        summary="Listed tools: search, filter and sort as on the site",
        description="Only published, public tools. `mine=true` lists the caller's own "
        "tools instead, drafts and private ones included.",
    ),
    retrieve=extend_schema(summary="A tool the caller may open (listed, unlisted or own)"),
    create=extend_schema(summary="Create a draft tool (the caller is its author)"),
    update=extend_schema(summary="Edit your tool"),
    partial_update=extend_schema(summary="Edit some fields of your tool"),
)
class ToolViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.ToolSerializer
    filterset_class = filters.ToolFilter
    lookup_field = "slug"
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsAuthorOrReadOnly]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            if self.request.query_params.get("mine") == "true" and user.is_authenticated:
                qs = tool_selectors.tools_visible_to(user).filter(author=user)
                qs = qs.exclude(status=Tool.Status.REMOVED)
            else:
                qs = tool_selectors.tools_listed()
        else:
            qs = tool_selectors.tools_visible_to(user)
        return qs.select_related("author").prefetch_related("tags")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = tool_services.tool_create(
            author=self.request.user,
            name=data["name"],
            tagline=data.get("tagline", ""),
            description=data.get("description", ""),
            category=data.get("category"),
            tags=data.get("tags") or [],
            icon=data.get("icon", "🤖"),
            visibility=data.get("visibility", Tool.Visibility.PUBLIC),
            prompt_public=data.get("prompt_public", False),
        )

    def perform_update(self, serializer):
        serializer.instance = tool_update(tool=serializer.instance, **serializer.validated_data)

    @extend_schema(
        summary="Publish your tool (the newest version, or the one named)",
        request=serializers.PublishSerializer,
        responses={200: serializers.ToolSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, slug: str | None = None) -> Response:
        tool = self.get_object()
        body = serializers.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = None
        if "version" in body.validated_data:
            version = tool.versions.filter(number=body.validated_data["version"]).first()
            if version is None:
                raise ValidationError({"version": ["This tool has no such version."]})
        tool = tool_services.tool_publish(tool=tool, version=version)
        return Response(self.get_serializer(self.get_queryset().get(pk=tool.pk)).data)


class ToolVersionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Versions of one tool. Only its author may add one; prompts show as
    `Tool.prompt_visible_to` allows (author, staff, everyone if the prompt is public)."""

    serializer_class = serializers.ToolVersionSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,9}"

    def get_tool(self) -> Tool:
        if not hasattr(self, "_tool"):
            self._tool = get_object_or_404(
                tool_selectors.tools_visible_to(self.request.user), slug=self.kwargs["tool_slug"]
            )
        return self._tool

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ToolVersion.objects.none()
        return self.get_tool().versions.select_related("tool").order_by("-number")

    @extend_schema(summary="Versions of a tool, newest first")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One version of a tool")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Add a version to your tool (validated like the builder)")
    def create(self, request, *args, **kwargs):
        tool = self.get_tool()
        if tool.author_id != request.user.pk:
            raise PermissionDenied("Only the tool's author may add versions.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = tool_services.tool_version_create(
            tool=tool,
            prompt_template=data["prompt_template"],
            input_schema=data["input_schema"],
            system_prompt=data.get("system_prompt") or "",
            sampling_defaults=data.get("sampling_defaults") or {},
            example_inputs=data.get("example_inputs") or [],
            changelog=data.get("changelog", ""),
            model=data.get("model") or "",
        )
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Reviews",
        description="Without `tool`, reviews of listed tools (and your own); with `tool`, "
        "the reviews of that tool if you may open it.",
    ),
    retrieve=extend_schema(summary="One review"),
    update=extend_schema(summary="Edit your review"),
    partial_update=extend_schema(summary="Edit some fields of your review"),
    destroy=extend_schema(summary="Delete your review"),
)
class ReviewViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.ReviewSerializer
    filterset_class = filters.ReviewFilter
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        visible = tool_selectors.tools_visible_to(user)
        qs = Review.objects.select_related("tool", "user").order_by("-created", "-pk")
        if self.action == "list" and not self.request.query_params.get("tool"):
            own = Q(user=user) if user.is_authenticated else Q(pk__in=[])
            return qs.filter(Q(tool__in=tool_selectors.tools_listed()) | own & Q(tool__in=visible))
        return qs.filter(tool__in=visible)

    @extend_schema(
        summary="Review a tool (a second review of the same tool edits the first)",
        responses={201: serializers.ReviewSerializer, 200: serializers.ReviewSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = Review.objects.filter(user=request.user, tool=data["tool"]).exists()
        review = self._upsert(data["tool"], data["stars"], data.get("text", ""))
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.get_serializer(review).data, status=code)

    def perform_update(self, serializer):
        review = serializer.instance
        data = serializer.validated_data
        serializer.instance = self._upsert(
            review.tool, data.get("stars", review.stars), data.get("text", review.text)
        )

    def perform_destroy(self, instance):
        store_services.review_delete(review=instance)

    def _upsert(self, tool: Tool, stars: int, text: str) -> Review:
        return store_services.review_upsert(
            user=self.request.user, tool=tool, stars=stars, text=text
        )


@extend_schema(summary="The signed-in caller")
class MeView(generics.RetrieveAPIView):
    serializer_class = serializers.MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        return self.request.user


@extend_schema_view(
    list=extend_schema(summary="Your favorite tools (those you may still open)"),
    create=extend_schema(summary="Star a tool (starring it again changes nothing)"),
    destroy=extend_schema(summary="Unstar a tool", responses={204: None}),
)
class FavoriteViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.FavoriteSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "tool__slug"
    lookup_url_kwarg = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Favorite.objects.none()
        visible = tool_selectors.tools_visible_to(self.request.user)
        return (
            Favorite.objects.filter(user=self.request.user, tool__in=visible)
            .select_related("tool__author", "tool__category", "tool__current_version")
            .prefetch_related("tool__tags")
            .order_by("-created", "-pk")
        )

    def perform_create(self, serializer):
        tool = serializer.validated_data["tool"]
        if not Favorite.objects.filter(user=self.request.user, tool=tool).exists():
            store_services.favorite_toggle(user=self.request.user, tool=tool)
        serializer.instance = self.get_queryset().get(tool=tool)

    def perform_destroy(self, instance):
        if Favorite.objects.filter(pk=instance.pk).exists():
            store_services.favorite_toggle(user=self.request.user, tool=instance.tool)


@csrf_exempt  # it changes nothing; a CSRF page would be HTML
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other path under /api/: a JSON 404 like the rest of the API, never an HTML page."""
    return error_response(ApplicationError("Not found.", code="not_found", status=404))
