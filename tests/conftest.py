"""Shared test settings: Hypothesis runs a fixed, derandomized number of examples so the suite is fast and
deterministic. ``HYPOTHESIS_PROFILE=thorough python -m pytest`` runs many more examples when wanted."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
