from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import Category, Resource, Tag


def home(request):
    listed = selectors.tools_listed()
    return render(
        request,
        "store/home.html",
        {
            "featured": listed.filter(featured=True)[:8],
            "newest": listed.order_by("-published_at")[:8],
            "categories": Category.objects.all(),
        },
    )


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def tool_detail(request, slug):
    tool = get_object_or_404(selectors.tools_visible_to(request.user), slug=slug)
    return render(request, "store/tool_detail.html", {"tool": tool})


def category(request, slug):
    cat = get_object_or_404(Category, slug=slug)
    tools = selectors.tools_listed().filter(category=cat)
    return render(request, "store/tool_list.html", {"title": cat.name, "tools": tools})


def tag(request, slug):
    tag_obj = get_object_or_404(Tag, slug=slug)
    tools = selectors.tools_listed().filter(tags=tag_obj)
    return render(request, "store/tool_list.html", {"title": f"#{tag_obj.name}", "tools": tools})


def resources(request):
    return render(request, "store/resources.html", {"resources": selectors.resources_listed()})


def resource_detail(request, slug):
    res = get_object_or_404(selectors.resources_listed(), slug=slug)
    return render(request, "store/resource_detail.html", {"resource": res})


__all__ = ["Resource"]
