"""``python -m orchestrator``: the command line."""

from orchestrator.cli import main

raise SystemExit(main())
