"""Writes for a tool's life, split by sub-domain; this package's names are its public face."""

from .budgets import usage_budget_set
from .builder import tool_build, tool_publish_head, tool_remix
from .execution import run_claim, run_complete, run_execute, run_fail
from .history import ThreadLive, thread_delete
from .reconcile import run_reconcile
from .runs import (
    BudgetExceeded,
    RunError,
    RunLimitExceeded,
    RunsPaused,
    publish_final,
    run_cancel,
    run_create,
    run_create_base,
    run_enqueue,
    run_queue_check,
    run_share,
)
from .threads import conversation, followup_check, run_followup
from .tools import (
    TOOL_FIELDS,
    ToolError,
    tags_resolve,
    tool_create,
    tool_delete,
    tool_publish,
    tool_run_count_increment,
    tool_unpublish,
    tool_update,
    unique_slug,
)
from .versions import (
    examples_check,
    tool_draft_save,
    tool_head_version,
    tool_rollback,
    tool_version_create,
    version_copy,
    version_is_draft,
)

__all__ = [
    "ThreadLive",
    "thread_delete",
    "TOOL_FIELDS",
    "BudgetExceeded",
    "RunError",
    "RunLimitExceeded",
    "RunsPaused",
    "ToolError",
    "conversation",
    "examples_check",
    "followup_check",
    "publish_final",
    "run_cancel",
    "run_claim",
    "run_complete",
    "run_create",
    "run_create_base",
    "run_enqueue",
    "run_execute",
    "run_fail",
    "run_followup",
    "run_queue_check",
    "run_reconcile",
    "run_share",
    "tags_resolve",
    "tool_build",
    "tool_create",
    "tool_delete",
    "tool_draft_save",
    "tool_head_version",
    "tool_publish",
    "tool_publish_head",
    "tool_remix",
    "tool_rollback",
    "tool_run_count_increment",
    "tool_unpublish",
    "tool_update",
    "tool_version_create",
    "unique_slug",
    "usage_budget_set",
    "version_copy",
    "version_is_draft",
]
