"""Production settings (config/settings.py, from the environment) with the benchmarks' own URLconf."""

from config.settings import *  # noqa: F403 - exactly the project's settings, one line changed

ROOT_URLCONF = "bench.urls_bench"
