#!/usr/bin/env python
"""Django's command-line utility. `platform/` is a source root, not a package: the Django
project lives in platform/lk_platform, and `import platform` stays the standard library's."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    sys.path.insert(1, str(ROOT / "platform"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lk_platform.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
