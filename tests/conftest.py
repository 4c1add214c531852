import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile(
    "dsic", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", parent=settings.get_profile("dsic"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dsic")
