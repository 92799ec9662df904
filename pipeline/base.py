"""Placeholder: replaced by the base-image override module."""

from __future__ import annotations

import os


def args() -> list[str]:
    image = os.environ.get("PYTHON_IMAGE", "")
    return ["--build-arg", f"PYTHON_IMAGE={image}"] if image else []
