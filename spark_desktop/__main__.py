"""Allows `python -m spark_desktop`."""

from spark_desktop.cli import main

raise SystemExit(main())
