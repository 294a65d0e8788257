#!/bin/sh
# Runs one pipeline stage with the project's Python, however dvc was started: `.venv/bin/dvc repro`
# with nothing activated, an activated environment, or `dvc exp run --temp` in a copy under .dvc/tmp/exps/.
# dvc.yaml calls it as `sh pipeline/run.sh <stage>`; a stage's own command stays `python -m pipeline.cli <stage>`.
#
# The Python used is the first of: the activated virtual environment ($VIRTUAL_ENV), the repository's
# .venv (the one `make run` creates; from a temp copy, the outer repository's), and `python3` or `python`
# on PATH if it has the pipeline's packages. With none of them, it says what to do and exits 1.
set -u
stage="${1:?usage: sh pipeline/run.sh <stage> [options]}"
root="${DVC_ROOT:-$(pwd)}"
case "$root" in
  */.dvc/tmp/exps/*) outer="${root%%/.dvc/tmp/exps/*}" ;;
  *) outer="" ;;
esac

has_packages() {
  "$1" -c 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("typer", "duckdb", "lightgbm", "mlflow")) else 1)' 2>/dev/null
}

for py in "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}" "$root/.venv/bin/python" "${outer:+$outer/.venv/bin/python}"; do
  if [ -n "$py" ] && [ -x "$py" ] && has_packages "$py"; then
    exec "$py" -m pipeline.cli "$@"
  fi
done
for name in python3 python; do
  py=$(command -v "$name" 2>/dev/null) || continue
  if has_packages "$py"; then
    exec "$py" -m pipeline.cli "$@"
  fi
done
echo "stage $stage: no Python with the pipeline's packages was found (looked at \$VIRTUAL_ENV, $root/.venv and python3/python on PATH)." >&2
echo "Run \`make run\` once in the repository (it creates .venv), or activate the environment you installed the pipeline into, then run dvc again." >&2
exit 1
