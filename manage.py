#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from ops import embedded

    # Commands that touch the database get the embedded servers started when no URL is set.
    if len(sys.argv) > 1 and sys.argv[1] not in {
        "help",
        "check",
        "makemigrations",
        "collectstatic",
    }:
        try:
            os.environ.update(
                {k: v for k, v in embedded.ensure_up().items() if k != "GPTSTORE_STARTED"}
            )
        except embedded.ServiceError as exc:
            sys.exit(f"error: {exc}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
