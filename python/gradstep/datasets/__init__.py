"""Small datasets bundled with gradstep (no network access needed)."""

from .digits import load_digits

__all__ = ["load_digits"]
