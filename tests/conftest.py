"""Shared pytest configuration: Hypothesis profiles.

HYPOTHESIS_PROFILE selects one (default: "default"):
  default   - the normal suite: a modest number of examples, no deadline (tiny models still take
              milliseconds), quick.
  thorough  - the dedicated property run: >= 2,000 examples per property test, e.g.
              HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py -q --hypothesis-show-statistics
"""

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; the other test files do not need it
    settings = None

if settings is not None:
    _quiet_checks = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile(
        "default", max_examples=60, deadline=None, suppress_health_check=_quiet_checks, print_blob=True
    )
    settings.register_profile(
        "thorough", max_examples=2500, deadline=None, suppress_health_check=_quiet_checks, print_blob=True
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
