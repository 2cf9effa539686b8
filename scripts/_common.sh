# Shared by scripts/run and scripts/test: find Python 3.12+, create .venv, install the locked dependencies.
# shellcheck shell=bash

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  # pyenv installs versions that are not on PATH unless selected.
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  echo "Python 3.12 or newer is required (set PYTHON=/path/to/python3.12)." >&2
  return 1
}

ensure_venv() {
  local python stamp want
  if [ ! -x .venv/bin/python ]; then
    python=$(find_python)
    echo "Creating .venv with $python"
    "$python" -m venv .venv
  fi
  stamp=.venv/.requirements.sha256
  want=$(.venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(open("requirements.lock","rb").read()).hexdigest())')
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing dependencies (requirements.lock)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
    echo "$want" > "$stamp"
  fi
}
