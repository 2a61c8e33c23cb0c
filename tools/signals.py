"""Signals this app sends for the apps built on it (it imports none of them)."""

from django.dispatch import Signal

# Sent with `tool=` inside the transaction that changed what a tool shows (name, tagline,
# description, category, tags). The storefront refreshes its search index on it.
tool_changed = Signal()
