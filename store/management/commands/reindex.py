from django.core.management.base import BaseCommand

from store import services
from store.models import Resource
from tools.models import Tool


class Command(BaseCommand):
    help = (
        "Compute missing search embeddings (all of them with --all); refresh full-text with --fts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute every embedding")
        parser.add_argument("--fts", action="store_true", help="also rebuild full-text vectors")

    def handle(self, *args, **options):
        if options["fts"]:
            for tool in Tool.objects.all():
                services.tool_reindex(tool=tool, embed=False)
            for resource in Resource.objects.all():
                services.resource_reindex(resource=resource, embed=False)
        done = services.embeddings_compute_missing(everything=options["all"])
        self.stdout.write(
            f"Embeddings computed: {done['tools']} tools, {done['resources']} resources."
        )
