#!/usr/bin/env python
"""Django's command-line utility for KAM."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    from django.core.management import execute_from_command_line

    from kam.audit import set_process_actor

    set_process_actor(sys.argv)  # the audit trail records changes made here as the command's
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
