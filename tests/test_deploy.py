"""The production-like stack's files stay valid."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_matches_the_compose_spec():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_has_every_service_the_design_names():
    from ruamel.yaml import YAML

    services = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"db", "redis", "web", "worker", "beat", "mailpit"} <= set(services)
    assert "celery" in " ".join(services["worker"]["command"])
    assert "beat" in services["beat"]["command"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_deploy_checks_pass_with_production_settings(tmp_path):
    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 60 + "-production-like-secret-for-the-check",
           "DJANGO_ALLOWED_HOSTS": "recert.example", "STATIC_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin",
           "EMAIL_URL": "smtp://mail.recert.example:25", "DATABASE_URL": "postgres://app@db.example/recert",
           "REDIS_URL": "redis://cache.example:6379/0"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_secrets():
    for missing in ("DJANGO_SECRET_KEY", "EMAIL_URL"):
        env = {"DJANGO_DEBUG": "false", "PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "s" * 60,
               "EMAIL_URL": "smtp://mail.recert.example:25"}
        del env[missing]
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                                text=True, check=False)
        assert result.returncode != 0
        assert missing in result.stderr


def _staticfiles_backend(env: dict[str, str]) -> str:
    code = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return result.stdout.strip()


def test_the_image_collects_static_files_with_the_storage_the_running_app_reads():
    """The Dockerfile collects static files at build time; the running app (DEBUG off) finds them through the
    manifest that only the production storage writes. Collected with another storage, every page is a 500."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in dockerfile.splitlines() if "collectstatic" in line)
    build_env = dict(re.findall(r"\b([A-Z_]+)=(\S+)", line.split("python")[0]))
    running = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "s" * 60, "EMAIL_URL": "smtp://mail.recert.example:25"}
    assert _staticfiles_backend(build_env) == _staticfiles_backend(running)
