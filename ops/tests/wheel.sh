#!/usr/bin/env bash
# The package installs alone: build the wheel (no warning allowed), install it into a fresh
# virtual environment with nothing else, and run what a county's IT person would run first:
# `diversion migrate`, `diversion demo`, `diversion screen` and `diversion serve` (started, asked
# for /healthz, a page and its stylesheet, then stopped). `make test-wheel`; CI runs it.
#
# PYTHON (default .venv/bin/python) builds the wheel; its base interpreter makes the new venv.
# (PYTHONDONTWRITEBYTECODE is dropped for the build: with it setuptools warns it cannot compile.)
# The dependencies come from a wheelhouse packed from PYTHON's own environment
# (ops/tests/wheelhouse.py), offline: pip still resolves them from the wheel's metadata alone.
# WHEEL_FROM_INDEX=1 downloads them from the package index instead, as a county's IT would.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
py=${PYTHON:-$repo/.venv/bin/python}
tmp=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "wheel: $*" >&2; exit 1; }
step() { printf '%-58s' "wheel: $*"; SECONDS=0; }
took() { echo " ${SECONDS} s"; }

step "python -m build --wheel"
env -u PYTHONDONTWRITEBYTECODE "$py" -m build --wheel --outdir "$tmp/dist" "$repo" >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log"; fail "the build failed"; }
took
# A warning is a line that says one ("warning:", "SetuptoolsDeprecationWarning"), not a file
# whose name contains the word (USWDS ships an icon called warning.svg).
if grep -v -E "^(adding|copying) " "$tmp/build.log" | grep -i -E "warning|deprecat"; then
  fail "the build printed a warning (above)"; fi
wheel=$(ls "$tmp"/dist/diversion-*.whl)

# What must travel inside: templates, static files, rule sets, areas, forms, translations.
"$py" - "$wheel" <<'PY' || fail "the wheel lacks files it needs (above)"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
needed = ["diversion/templates/base.html", "diversion/static/css/site.css",
          "diversion/static/vendor/htmx/htmx.min.js", "diversion/static/js/sw.js",
          "diversion/static/icons/favicon.ico", "diversion/locale/es/LC_MESSAGES/django.mo"]
kinds = {"rule set": "/rulesets/", "area": ".geojson", "form definition": "cases/forms/"}
missing = [n for n in needed if n not in names]
missing += [k for k, part in kinds.items() if not any(part in n for n in names)]
missing += ["the licence"] if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names) else []
print("\n".join(missing))
sys.exit(1 if missing else 0)
PY

if [ "${WHEEL_FROM_INDEX:-0}" = 1 ]; then
  pip_args=()
else
  step "wheelhouse from $py's environment"
  "$py" "$repo/ops/tests/wheelhouse.py" "$tmp/wheelhouse" >/dev/null
  took
  pip_args=(--no-index --find-links "$tmp/wheelhouse")
fi

step "pip install the wheel into a fresh venv"
base=$("$py" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
"$base" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check "${pip_args[@]}" "$wheel" >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; fail "pip install failed"; }
took

# A directory of its own, outside the repository, with none of the repository's settings.
mkdir "$tmp/site" && cd "$tmp/site"
unset DATABASE_URL DIVERSION_VAR_DIR DIVERSION_ENV PYTHONPATH DJANGO_SETTINGS_MODULE DEBUG SECRET_KEY
bin=$tmp/venv/bin
where=$("$bin/python" -c 'import diversion, os; print(os.path.dirname(diversion.__file__))')
case $where in "$tmp/venv/"*) ;; *) fail "diversion imported from $where, not the wheel";; esac

step "diversion migrate"
"$bin/diversion" migrate --noinput --verbosity 0; took
[ -f var/diversion.sqlite3 ] || fail "no var/diversion.sqlite3 in the current directory"

step "diversion demo"
"$bin/diversion" demo >"$tmp/demo.log"; took
grep -q "officer" "$tmp/demo.log" || { cat "$tmp/demo.log"; fail "demo printed no logins"; }

step "diversion screen"
echo '{"pathway": "arrest", "occurred_at": "2027-01-12T21:15:00-08:00",
       "location": {"area": "downtown"},
       "charge": {"offense": "PCS", "substantial_quantity": false,
                  "commercial_drug_offense": false},
       "substances": [{"substance": "methamphetamine", "grams": 3.4}],
       "active_extraditable_warrant": false, "no_contact_order_with_participant": false,
       "lead_status": "never", "specialty_court": "none", "supervision": "none",
       "ops_team_denial": false}' \
  | "$bin/diversion" screen - >"$tmp/screen.json"; took
grep -q '"decision": "eligible"' "$tmp/screen.json" || { cat "$tmp/screen.json"; fail "screen did not find the referral eligible"; }

step "diversion serve, /healthz, a page and its stylesheet"
port=$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/diversion" serve --bind "127.0.0.1:$port" --workers 1 >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log"; fail "serve stopped"; }
  sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { cat "$tmp/serve.log"; fail "no /healthz"; }
curl -sf "http://127.0.0.1:$port/accounts/login/" | grep -q "Sign in" || fail "no sign-in page"
curl -sf -o /dev/null "http://127.0.0.1:$port/static/css/site.css" || fail "no stylesheet"
took
kill "$server"; wait "$server" 2>/dev/null || true; server=
echo "wheel: installed alone; migrate, demo, screen and serve work"
