#!/usr/bin/env bash
# Create the isolated venv that holds Beiwe Forest (beiwe-forest 1.0 pins old libraries, so it never
# shares the project venv). Idempotent: does nothing when the venv already imports forest.
set -euo pipefail
cd "$(dirname "$0")/.."
FOREST_VENV="${FOREST_VENV:-var/forest-venv}"
PYTHON="${PYTHON:-python3.11}"
if [ -x "$FOREST_VENV/bin/python" ] && "$FOREST_VENV/bin/python" -c "import forest.jasmine.traj2stats" 2>/dev/null; then
    echo "forest venv ready: $FOREST_VENV"
    exit 0
fi
mkdir -p "$(dirname "$FOREST_VENV")"
"$PYTHON" -m venv "$FOREST_VENV"
"$FOREST_VENV/bin/pip" install --quiet --upgrade pip
"$FOREST_VENV/bin/pip" install --quiet "beiwe-forest==1.0"
"$FOREST_VENV/bin/python" -c "import forest.jasmine.traj2stats" && echo "forest venv ready: $FOREST_VENV"
