"""Where the repository is, and its stacks."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Every stack with a Pulumi.<stack>.yaml, in deploy order.
STACKS = ("dev", "staging", "prod")
