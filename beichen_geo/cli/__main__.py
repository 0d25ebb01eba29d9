"""``python -m beichen_geo.cli``: the same as the ``beichen-geo`` command."""

from __future__ import annotations

import sys

from beichen_geo.cli import main

sys.exit(main())
