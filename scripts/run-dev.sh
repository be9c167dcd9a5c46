#!/usr/bin/env bash
# Serves civicdesk on http://127.0.0.1:8000 with its task worker and scheduler beside it;
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
$py manage.py db_worker >var/worker.log 2>&1 &
worker=$!
$py manage.py run_scheduler >var/scheduler.log 2>&1 &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null || true' EXIT
echo "civicdesk workbench: http://127.0.0.1:8000/  configuration: /admin/  API: /api/v1/docs"
exec_args=(manage.py runserver 127.0.0.1:8000)
DEBUG=${DEBUG:-1} $py "${exec_args[@]}"
