#!/bin/bash
# walk-debian.sh: follow docs/operations.md on a fresh Debian 12 and check the result.
#
# Usage (as root, on a Debian or Ubuntu host with network to a Debian mirror and PyPI; a few
# minutes):
#     sudo ops/walk-debian.sh /var/tmp/debwalk/root [MIRROR]
# It debootstraps Debian 12 (bookworm) into ROOT (which must not exist yet; MIRROR defaults to
# http://deb.debian.org/debian), then runs the commands of docs/operations.md inside it as a
# chroot: they are cut out of the document's code blocks (the working tree's copy, so an edited
# page is walked before it is committed), with the substitutions listed below; the code is the
# repository's committed HEAD, served to the chroot over HTTP as `git clone` expects. Then it
# checks the result: /healthz over TLS and over plain HTTP through nginx, the sign-in page and a
# static file through nginx, a sign-in as the new administrator through the TOTP enrolment (and a
# second sign-in with a code), a report refresh queued by the web and drained by the worker,
# the PDF report, `diversion tick` (twice at once), a backup and the restore drill, an upgrade
# to a throwaway commit (restart serves the new code; a second upgrade changes nothing), and
# `user deployment-admin`.
# Everything it started is stopped and everything it mounted is unmounted at the end; ROOT is
# kept for inspection (`rm -rf ROOT` when done). What it does NOT cover: systemd as init (there
# is none in a chroot: units are checked with `systemd-analyze verify`, enabled offline, and
# their ExecStart= run by hand as their User= with their EnvironmentFile=, inside a rough copy
# of ProtectSystem=strict/ReadWritePaths=/PrivateTmp=/ProtectHome=/RuntimeDirectory=; timers,
# Restart=, journald and `systemctl reload` are not exercised), real certificates (certbot is
# replaced by a self-signed certificate at the path certbot would use; Caddy is not walked),
# email delivery (the relay is the document's example), several app servers, and SQLite.
# Substitutions: the clone URL; lead.example.org -> lead.example.test; `systemctl` commands are
# carried out by hand as above; the chroot's PostgreSQL listens on its Unix socket only
# (listen_addresses = '') so that it does not fight a PostgreSQL on the host for TCP 5432;
# the administrator's password and the SMTP password are fed to the prompts. Ports 80, 443 and
# 8000 on the host must be free (HTTP_PORT/HTTPS_PORT change the first two). If the host trusts
# extra CAs (/usr/local/share/ca-certificates, a TLS-inspecting proxy), the chroot trusts them too.
set -euo pipefail

ROOT=${1:?usage: walk-debian.sh ROOT [MIRROR]}
MIRROR=${2:-http://deb.debian.org/debian}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DOC=$HERE/docs/operations.md
NAME=lead.example.test
HTTP_PORT=${HTTP_PORT:-80}
HTTPS_PORT=${HTTPS_PORT:-443}
GIT_PORT=${GIT_PORT:-8765}
ADMIN_PASSWORD=walk-Admin-pass-7391
W=/root/walk            # the walk's files, inside the chroot

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
[ -f "$DOC" ] || { echo "no $DOC" >&2; exit 2; }
[ ! -e "$ROOT" ] || { echo "$ROOT exists; give a new folder" >&2; exit 2; }
for port in "$HTTP_PORT" "$HTTPS_PORT" 8000 "$GIT_PORT"; do
    if ss -Hltn "sport = :$port" | grep -q .; then
        echo "port $port is busy on this host (HTTP_PORT, HTTPS_PORT, GIT_PORT change some)" >&2
        exit 2
    fi
done
ROOT=$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)
LOG=$ROOT.log
mkdir -p "$LOG"

T0=$(date +%s)
step() { printf '\n== [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAILED: %s\n' "$*" | tee -a "$LOG/FAILED" >&2; exit 1; }
inroot() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive TERM=dumb "$@"; }

# --- the document's code blocks --------------------------------------------------------------
# block_after REGEX [N]: the N-th fenced block after the first line matching REGEX.
block_after() {
    awk -v rx="$1" -v n="${2:-1}" '
        !seen && $0 ~ rx { seen = 1; next }
        seen && /^```/ { if (inb) { inb = 0; if (++k == n) exit } else { inb = 1 }; next }
        seen && inb && k == n - 1 { print }' "$DOC"
}
# block_match REGEX: the first fenced block with a line matching REGEX.
block_match() {
    awk -v rx="$1" '
        /^```/ { if (inb) { inb = 0; if (hit) { printf "%s", buf; exit }; buf = ""; hit = 0 } else inb = 1; next }
        inb { buf = buf $0 "\n"; if ($0 ~ rx) hit = 1 }' "$DOC"
}
need() { [ -n "$2" ] || fail "docs/operations.md: no code block for $1 (did the page change?)"; }
sub_names() { sed "s/lead\.example\.org/$NAME/g"; }

# --- processes and mounts, undone on exit -----------------------------------------------------
declare -A PIDS=()
MOUNTS=()
cleanup() {
    set +e
    [ -s "$LOG/FAILED" ] && { printf '\n'; cat "$LOG/FAILED"; }
    step "cleaning up"
    for unit in "${!PIDS[@]}"; do stop_unit "$unit"; done
    [ -f "$ROOT/run/nginx.pid" ] && inroot nginx -s quit 2>/dev/null && sleep 1
    inroot pg_lsclusters -h 2>/dev/null | while read -r v c _; do inroot pg_ctlcluster "$v" "$c" stop < /dev/null; done
    [ -n "${GIT_PID:-}" ] && kill "$GIT_PID" 2>/dev/null && wait "$GIT_PID" 2>/dev/null
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[i]}" || umount -l "${MOUNTS[i]}"; done
    if mount | grep -F " $ROOT/" >/dev/null; then echo "   still mounted:"; mount | grep -F " $ROOT/"; fi
    echo "   logs in $LOG; the chroot stays in $ROOT"
    printf '   wall-clock: %ss\n' "$(( $(date +%s) - T0 ))"
}
trap cleanup EXIT
mnt() { mount "$@"; MOUNTS+=("${!#}"); }

# unitrun (inside the chroot): a unit's ExecStart= as its User=/Group=, in its WorkingDirectory=,
# with its Environment=/EnvironmentFile=, Nice= and NoNewPrivileges=.
write_tools() {
    mkdir -p "$ROOT$W"
    cat > "$ROOT/usr/local/sbin/unitrun" <<'EOF'
#!/bin/bash
set -eu
unit=$1
get() { sed -n "s/^$1=//p" "$unit" | tail -1; }
user=$(get User); group=$(get Group); wd=$(get WorkingDirectory); envf=$(get EnvironmentFile)
nice=$(get Nice); exe=$(get ExecStart); nnp=$(get NoNewPrivileges)
user=${user:-root}
envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
      HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" LOGNAME="$user")
while IFS= read -r line; do envs+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
if [ -n "$envf" ]; then
    while IFS= read -r line; do
        case "$line" in ''|'#'*|';'*) continue ;; esac
        envs+=("$line")
    done < "$envf"
fi
cd "${wd:-/}"
exe=${exe//%%/%}
[ "$nnp" = true ] && nnp=--no-new-privs || nnp=
exec setpriv $nnp --reuid="$user" --regid="${group:-$user}" --init-groups \
    env -i "${envs[@]}" nice -n "${nice:-0}" /bin/sh -c "exec $exe"
EOF
    chmod 755 "$ROOT/usr/local/sbin/unitrun"
    cat > "$ROOT/usr/local/bin/walk-signin" <<'EOF'
#!/usr/bin/env python3
"""walk-signin BASE USERNAME PASSWORD KEYFILE [PAGE|post:PAGE ...]: sign in as a browser would.

First time: password, then the authenticator enrolment page, whose key is saved to KEYFILE.
Later: password, then a code. TOTP (RFC 6238) from the standard library. Each PAGE must then
answer 200; post:PAGE posts a form. The certificate is not verified (self-signed).
"""
import base64, hashlib, hmac, html, http.cookiejar, os, re, ssl, struct, sys, time
import urllib.error, urllib.parse, urllib.request

base, username, password, keyfile, *pages = sys.argv[1:]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                     urllib.request.HTTPCookieProcessor(jar))

def fetch(path, data=None):
    req = urllib.request.Request(urllib.parse.urljoin(base, path), headers={"Referer": base + "/"},
                                 data=urllib.parse.urlencode(data).encode() if data else None)
    try:
        with opener.open(req, timeout=120) as r:
            return r.status, r.geturl(), r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.geturl(), e.read().decode(errors="replace")

def csrf(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

def totp(key, step):
    mac = hmac.new(base64.b32decode(key.replace(" ", "").upper()), struct.pack(">Q", step),
                   hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)

def fresh_code(key):  # a code is accepted once: use a time step no earlier run used
    marker = keyfile + ".step"
    last = int(open(marker).read()) if os.path.exists(marker) else -1
    while int(time.time() // 30) <= last:
        time.sleep(1)
    step = int(time.time() // 30)
    open(marker, "w").write(str(step))
    return totp(key, step)

status, url, page = fetch("/accounts/login/")
assert status == 200, (status, url)
status, url, page = fetch("/accounts/login/", {"csrfmiddlewaretoken": csrf(page), "next": "/",
                                               "username": username, "password": password})
assert status == 200, (status, url, page[:300])
if "/accounts/login/authenticator/" in url:
    key = html.unescape(re.search(r'<code id="totp-key">([^<]+)</code>', page).group(1))
    open(keyfile, "w").write(key + "\n")
    print("   authenticator enrolment page shown; key saved")
elif "/accounts/login/code/" in url:
    key = open(keyfile).read().strip()
    print("   one-time code page shown")
else:
    sys.exit(f"after the password: unexpected {url} ({status})")
status, url, page = fetch(url, {"csrfmiddlewaretoken": csrf(page), "code": fresh_code(key),
                                "next": "/"})
assert status == 200 and "/accounts/login" not in url, (status, url, page[:500])
print(f"   signed in: {url}")
for p in pages:
    if p.startswith("post:"):
        p = p[5:]
        token = next(c.value for c in jar if c.name == "csrftoken")
        status, url, body = fetch(p, {"csrfmiddlewaretoken": token})
    else:
        status, url, body = fetch(p)
    print(f"   {p}: {status}")
    assert status == 200 and "/accounts/login" not in url, (p, status, url)
EOF
    chmod 755 "$ROOT/usr/local/bin/walk-signin"
}

# start_unit UNIT: run a unit's ExecStart the way systemd would (roughly) with its sandboxing
# (ProtectSystem=strict + ReadWritePaths=, PrivateTmp=, ProtectHome=, RuntimeDirectory=) in a
# private mount namespace. Services run in the background; oneshot ones in the foreground.
start_unit() {
    local unit=$1 f=$ROOT/etc/systemd/system/$1
    case "$unit" in
        *.timer) echo "   (no timers without systemd: running ${unit%.timer}.service once)"
                 start_unit "${unit%.timer}.service"; return ;;
        *.service) ;;
        *) start_unit "$unit.service"; return ;;
    esac
    [ -f "$f" ] || fail "no unit $unit"
    get() { sed -n "s/^$1=//p" "$f" | tail -1; }
    local args=("$ROOT" "$unit" "$(get ProtectSystem)" "$(get ReadWritePaths)" "$(get PrivateTmp)"
                "$(get ProtectHome)" "$(get RuntimeDirectory)" "$(get User)")
    local script='
root=$1 unit=$2 ps=$3 rw=$4 pt=$5 ph=$6 rd=$7 user=${8:-root}
mount --rbind "$root" "$root"
if [ -n "$rd" ]; then
    install -d -m 0755 -o "$(chroot "$root" id -u "$user")" -g "$(chroot "$root" id -g "$user")" "$root/run/$rd"
    rw="$rw /run/$rd"
fi
if [ "$pt" = true ]; then
    mount -t tmpfs -o mode=1777 walk-tmp "$root/tmp"; mount -t tmpfs -o mode=1777 walk-tmp "$root/var/tmp"
fi
if [ "$ph" = true ]; then
    for d in home root run/user; do [ -d "$root/$d" ] && mount -t tmpfs -o mode=0 walk-home "$root/$d"; done
fi
if [ "$ps" = strict ]; then
    for p in $rw; do mount --bind "$root$p" "$root$p"; done
    mount -o remount,bind,ro "$root"
fi
exec chroot "$root" /usr/local/sbin/unitrun "/etc/systemd/system/$unit"'
    if [ "$(get Type)" = oneshot ]; then
        unshare --mount --propagation private /bin/bash -euc "$script" walk "${args[@]}" \
            2>&1 | tee -a "$LOG/$unit.log"
    else
        unshare --mount --propagation private /bin/bash -euc "$script" walk "${args[@]}" \
            >> "$LOG/$unit.log" 2>&1 < /dev/null &
        PIDS[$unit]=$!
        echo "   started $unit (pid ${PIDS[$unit]}, log $LOG/$unit.log)"
    fi
}
stop_unit() {
    local unit=$1 pid=${PIDS[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "PIDS[$unit]"
}
# systemctl_sim ARGS: what `systemctl ARGS` would do, by hand.
systemctl_sim() {
    local now=
    case "$1" in
        daemon-reload|list-timers) echo "   (systemctl $*: nothing to do without systemd)" ;;
        enable) shift; [ "$1" = --now ] && { now=1; shift; }
                inroot systemctl enable "$@" 2>&1 | sed 's/^/   /'
                if [ -n "$now" ]; then local u; for u in "$@"; do start_unit "$u"; done; fi ;;
        start) start_unit "$2" ;;
        stop) stop_unit "$2.service" ;;
        restart) stop_unit "${2%.service}.service"; start_unit "${2%.service}.service" ;;
        reload) kill -HUP "${PIDS[${2%.service}.service]}" ;;
        *) fail "systemctl $*: not simulated" ;;
    esac
}
# run_block NAME TEXT: run a shell block inside the chroot as root; `systemctl` lines are
# carried out by hand, in order, between the other lines.
run_block() {
    local name=$1 text=$2 chunk="" line
    flush() {
        [ -n "$chunk" ] || return 0
        printf '%s' "$chunk" > "$ROOT$W/$name.sh"
        inroot /bin/bash -e "$W/$name.sh" 2>&1 | tee -a "$LOG/$name.log" \
            || fail "$name: $(tail -3 "$LOG/$name.log" | tr '\n' ' ') (all of it: $LOG/$name.log)"
        chunk=""
    }
    while IFS= read -r line; do
        if [[ "$line" =~ ^systemctl\  ]]; then
            flush
            # shellcheck disable=SC2086
            systemctl_sim ${line#systemctl }
        else
            chunk+="$line"$'\n'
        fi
    done <<< "$text"
    flush
}
wait_http() {  # wait_http URL [curl args]: until it answers 200 (60 s)
    local url=$1; shift
    for _ in $(seq 120); do curl -sfk -o /dev/null "$@" "$url" && return 0; sleep 0.5; done
    fail "$url does not answer"
}
RS=(--resolve "$NAME:$HTTP_PORT:127.0.0.1" --resolve "$NAME:$HTTPS_PORT:127.0.0.1")
HTTPS=https://$NAME; [ "$HTTPS_PORT" = 443 ] || HTTPS+=":$HTTPS_PORT"
HTTP=http://$NAME; [ "$HTTP_PORT" = 80 ] || HTTP+=":$HTTP_PORT"
psql_q() { inroot sudo -u postgres psql -d "${2:-diversion}" -Atc "$1"; }

# ==============================================================================================
step "debootstrap bookworm from $MIRROR"
command -v debootstrap >/dev/null || apt-get install -y debootstrap > "$LOG/host-apt.log"
debootstrap bookworm "$ROOT" "$MIRROR" > "$LOG/debootstrap.log" 2>&1 || fail "debootstrap: $LOG/debootstrap.log"
ok "base system"

step "prepare the chroot (what a fresh server already has, and sandbox plumbing)"
security=${MIRROR%/debian}/debian-security
cat > "$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $security bookworm-security main
EOF
printf '#!/bin/sh\n# walk-debian.sh: package scripts start no services; the walk starts them.\nexit 101\n' \
    > "$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
printf '127.0.0.1 %s\n127.0.1.1 %s\n' "$NAME" "$(hostname)" >> "$ROOT/etc/hosts"
if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$ROOT/etc/pip.conf"
fi
mnt -t proc proc "$ROOT/proc"
mnt -t sysfs sys "$ROOT/sys"
mnt --bind /dev "$ROOT/dev"
mnt --bind /dev/pts "$ROOT/dev/pts"
mnt -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
write_tools
# The repository's committed HEAD, served over HTTP for `git clone` (a mirror, read-only source).
git -c safe.directory='*' clone -q --mirror "$HERE" "$ROOT/srv/walk-git/diversion.git"
git -C "$ROOT/srv/walk-git/diversion.git" update-server-info
python3 -m http.server "$GIT_PORT" --bind 127.0.0.1 --directory "$ROOT/srv/walk-git" \
    > "$LOG/git-http.log" 2>&1 &
GIT_PID=$!
wait_http "http://127.0.0.1:$GIT_PORT/diversion.git/HEAD"
ok "code at $(git -C "$HERE" rev-parse --short HEAD) served on 127.0.0.1:$GIT_PORT"

# ==============================================================================================
step "1. Install: packages and the diversion user"
b=$(block_after '^## 1[.] Install' 1); need "packages" "$b"
run_block s1-packages "$b" > /dev/null
inroot update-ca-certificates > /dev/null 2>&1
ok "apt-get install and adduser"
# Sandbox only: the host may already have PostgreSQL on TCP 5432; the chroot's cluster listens on
# its Unix socket only, on port 5432 (the socket name), which is all the document's DATABASE_URL uses.
read -r PGV PGC _ < <(inroot pg_lsclusters -h)
conf=$ROOT/etc/postgresql/$PGV/$PGC/postgresql.conf
sed -i -E "s/^#?listen_addresses *=.*/listen_addresses = ''/; s/^port *=.*/port = 5432/" "$conf"
inroot pg_ctlcluster "$PGV" "$PGC" start
ok "PostgreSQL $PGV/$PGC running (Unix socket only)"

step "1. Install: the code and its virtual environment"
b=$(block_after '^The code and its virtual environment' 1); need "clone" "$b"
b=$(sed -E "s#git clone [^ ]+ app#git clone http://127.0.0.1:$GIT_PORT/diversion.git app#" <<< "$b")
run_block s1-code "$b" > /dev/null
[ -x "$ROOT/srv/diversion/app/.venv/bin/diversion" ] || fail "no /srv/diversion/app/.venv/bin/diversion"
ok "clone, venv, pip install"

step "1. Install: the database"
b=$(block_match 'createuser diversion'); need "database" "$b"
run_block s1-db "$b"
ok "role and database"

# ==============================================================================================
step "2. Configure"
b=$(block_match 'secrets.token_urlsafe'); need "secrets" "$b"
printf '%s' "$b" > "$ROOT$W/s2-secrets.sh"
echo "walk-smtp-password" | inroot /bin/bash -e "$W/s2-secrets.sh" || fail "secrets"
b=$(block_match '^# /etc/diversion/diversion.env'); need "env file" "$b"
sub_names <<< "$b" > "$ROOT/etc/diversion/diversion.env"
b=$(block_match '^  PATH=/srv/diversion/app/[.]venv/bin'); need "first steps" "$b"
printf '%s' "$b" > "$ROOT$W/s2-first.sh"
# No terminal (setsid): `user create` reads the password from standard input.
printf '%s\n' "$ADMIN_PASSWORD" | inroot setsid -w /bin/bash -e "$W/s2-first.sh" \
    > "$LOG/s2-first.log" 2>&1 || { tail -20 "$LOG/s2-first.log"; fail "see $LOG/s2-first.log"; }
grep -q "no issues" "$LOG/s2-first.log" || fail "check --deploy did not say no issues"
grep -q "Created alice" "$LOG/s2-first.log" || fail "no administrator created"
ls -ld "$ROOT/etc/diversion" "$ROOT"/etc/diversion/* | sed 's/^/   /'
ok "migrate, collectstatic, check --deploy: no issues, administrator alice"

# ==============================================================================================
step "3. systemd units: write, verify, enable, start"
units=()
while read -r path; do
    u=${path##*/}
    b=$(block_after "^\`$path\`:" 1); need "$u" "$b"
    printf '%s' "$b" > "$ROOT$path"; units+=("$u")
done < <(grep -oE '^`/etc/systemd/system/diversion-[a-z]+\.service`:' "$DOC" | tr -d '`:')
b=$(block_after 'diversion-tick[.]timer`:' 1); need tick.service "$b"; printf '%s' "$b" > "$ROOT/etc/systemd/system/diversion-tick.service"
b=$(block_after 'diversion-tick[.]timer`:' 2); need tick.timer "$b"; printf '%s' "$b" > "$ROOT/etc/systemd/system/diversion-tick.timer"
b=$(block_after 'diversion-backup[.]service` and `[.]timer`' 1); need backup.service "$b"; printf '%s' "$b" > "$ROOT/etc/systemd/system/diversion-backup.service"
b=$(block_after 'diversion-backup[.]service` and `[.]timer`' 2); need backup.timer "$b"; printf '%s' "$b" > "$ROOT/etc/systemd/system/diversion-backup.timer"
units+=(diversion-tick.service diversion-tick.timer diversion-backup.service diversion-backup.timer)
for u in "${units[@]}"; do
    out=$(inroot systemd-analyze verify "/etc/systemd/system/$u" 2>&1) || fail "systemd-analyze verify $u: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $u: $out"
done
ok "systemd-analyze verify: ${units[*]}"
b=$(block_match 'systemctl enable --now diversion-web'); need "enable" "$b"
b=$(sub_names <<< "$b")
curl_line=$(grep '^curl ' <<< "$b" || true)
run_block s3-enable "$(grep -v '^curl ' <<< "$b")"
wait_http "http://127.0.0.1:8000/healthz" -H "Host: $NAME"
if [ -n "$curl_line" ]; then
    out=$(inroot /bin/bash -c "$curl_line")
    [[ "$out" == *'"ok"'* ]] || fail "$curl_line: $out"
    ok "$curl_line -> $out"
fi

# ==============================================================================================
step "4. TLS in front (nginx, self-signed certificate where certbot would put one)"
d=/etc/letsencrypt/live/$NAME
inroot mkdir -p "$d"
inroot openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$NAME" \
    -addext "subjectAltName=DNS:$NAME" -keyout "$d/privkey.pem" -out "$d/fullchain.pem" 2>/dev/null
b=$(block_match '^upstream diversion'); need "nginx" "$b"
sub_names <<< "$b" | sed -E "s/listen 80;/listen $HTTP_PORT;/; s/listen 443 /listen $HTTPS_PORT /" \
    > "$ROOT/etc/nginx/sites-available/diversion"
ln -s /etc/nginx/sites-available/diversion "$ROOT/etc/nginx/sites-enabled/diversion"
inroot nginx -t 2>&1 | sed 's/^/   /'
inroot nginx
wait_http "$HTTPS/healthz" "${RS[@]}"
out=$(curl -sk "${RS[@]}" "$HTTPS/healthz"); [[ "$out" == *'"ok"'* ]] || fail "healthz over TLS: $out"
ok "healthz over TLS: $out"
out=$(curl -s "${RS[@]}" -w ' %{http_code}' "$HTTP/healthz"); [[ "$out" == *'"ok"'*' 200' ]] || fail "healthz over plain HTTP through nginx: $out"
ok "healthz over plain HTTP through nginx (load balancers): $out"
code=$(curl -s "${RS[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$HTTP/accounts/login/")
[[ "$code" == 301* ]] || fail "plain HTTP is not redirected: $code"
ok "plain HTTP redirected: $code"
curl -sk "${RS[@]}" -o "$LOG/login.html" -w '%{http_code}' "$HTTPS/accounts/login/" | grep -qx 200 || fail "sign-in page"
ok "sign-in page 200"
css=$(grep -oE 'href="/static/[^"]+\.css"' "$LOG/login.html" | head -1 | cut -d'"' -f2)
[ -n "$css" ] || fail "no stylesheet on the sign-in page"
out=$(curl -sk "${RS[@]}" -o /dev/null -w '%{http_code} %{content_type}' "$HTTPS$css")
[[ "$out" == "200 text/css"* ]] || fail "$css: $out"
ok "static file $css: $out"

step "4. Sign in as the administrator (password, authenticator enrolment), open the reports"
inroot walk-signin "$HTTPS" alice "$ADMIN_PASSWORD" "$W/alice.totp" / /reports/ /admin/ || fail "sign-in"
ok "alice signed in through the TOTP enrolment"

step "3. The worker drains the queue the web filled (report refresh)"
for _ in $(seq 60); do
    read -r ready done_ < <(psql_q "select count(*) filter (where status in ('READY','RUNNING')), count(*) filter (where status = 'SUCCESSFUL') from django_tasks_database_dbtaskresult" | tr '|' ' ')
    [ "$ready" = 0 ] && [ "$done_" -gt 0 ] && break
    sleep 1
done
[ "$ready" = 0 ] && [ "$done_" -gt 0 ] || fail "queue not drained: $ready waiting, $done_ done"
grep -h "state=SUCCESSFUL" "$LOG/diversion-worker.service.log" | tail -2 | sed 's/^/   /'
ok "$done_ task(s) done by the worker, none waiting"
inroot walk-signin "$HTTPS" alice "$ADMIN_PASSWORD" "$W/alice.totp" /reports/reports.pdf post:/reports/refresh \
    || fail "second sign-in (one-time code), PDF report, refresh"
ok "second sign-in with a code; PDF report 200; refresh posted"

step "3. diversion tick (the timer's service), twice at once"
start_unit diversion-tick.service > "$LOG/tick1.log" 2>&1 & t1=$!
start_unit diversion-tick.service > "$LOG/tick2.log" 2>&1 || fail "tick: $LOG/tick2.log"
wait "$t1" || fail "tick: $LOG/tick1.log"
grep -q "emails_retry" "$LOG/tick1.log" "$LOG/tick2.log" || fail "tick printed no jobs"
ok "tick ran twice at once: $(tr '\n' ' ' < "$LOG/tick2.log")"

# ==============================================================================================
step "5. Logs (no journald here): log rotation of the packages"
inroot logrotate -d /etc/logrotate.conf > "$LOG/logrotate.log" 2>&1 || fail "logrotate -d: $LOG/logrotate.log"
! grep -qi "^error" "$LOG/logrotate.log" || fail "logrotate -d reports errors: $LOG/logrotate.log"
while read -r value; do inroot systemd-analyze timespan "$value" > /dev/null || fail "journald: $value"; done \
    < <(block_match '^MaxRetentionSec=' | sed -n 's/^MaxRetentionSec=//p')
ok "logrotate -d clean; journald retention parses"

# ==============================================================================================
step "6. Backups and the restore drill"
b=$(block_match 'systemctl enable --now diversion-backup.timer'); need "backup setup" "$b"
run_block s6-backup "$b"
dump=/var/backups/diversion/diversion-$(date +%F).dump
[ -s "$ROOT$dump" ] || fail "no $dump"
ok "$dump ($(stat -c %s "$ROOT$dump") bytes)"
b=$(block_match 'createdb --owner diversion diversion_drill'); need "drill" "$b"
b=$(sed "s/YYYY-MM-DD/$(date +%F)/" <<< "$b")
drop=$(grep '^sudo -u postgres dropdb' <<< "$b")
t=$(date +%s)
run_block s6-drill "$(grep -v '^sudo -u postgres dropdb' <<< "$b")"
users=$(psql_q "select count(*) from accounts_user" diversion_drill)
[ "$users" -ge 1 ] || fail "no users in the restored database"
inroot sudo -u diversion bash -c "set -a; . /etc/diversion/diversion.env; set +a
    DATABASE_URL=postgres:///diversion_drill?host=/var/run/postgresql /srv/diversion/app/.venv/bin/diversion check --deploy" \
    | sed 's/^/   /'
run_block s6-drop "$drop"
ok "restore drill: migrate --check, audit verify, check --deploy, $users user(s); $(( $(date +%s) - t ))s"

# ==============================================================================================
step "7. Upgrades: to a throwaway commit"
marker=walk-$(date +%s)
inroot /bin/bash -ec "
    git clone -q /srv/walk-git/diversion.git $W/upgrade && cd $W/upgrade
    git -c user.name=walk -c user.email=walk@example.test commit -q --allow-empty -m 'walk: throwaway'
    sed -i 's/return JsonResponse({\"status\": \"ok\"})/return JsonResponse({\"status\": \"ok\", \"release\": \"$marker\"})/' diversion/accounts/views.py
    git -c user.name=walk -c user.email=walk@example.test commit -q -am 'walk: a visible change' || true
    git push -q origin HEAD:\$(git -C /srv/walk-git/diversion.git symbolic-ref --short HEAD)
    git -C /srv/walk-git/diversion.git update-server-info"
visible=$(grep -c "$marker" "$ROOT$W/upgrade/diversion/accounts/views.py" || true)
b=$(block_after '^## 7[.] Upgrades' 1); need "upgrade" "$b"
# The document's commands up to the restarts; then a reload (HUP), to see what it does.
run_block s7-upgrade "$(grep -v '^systemctl' <<< "$b")" > /dev/null
grep -q "Fast-forward" "$LOG/s7-upgrade.log" || fail "git pull did not fast-forward"
if [ "$visible" -gt 0 ]; then
    systemctl_sim reload diversion-web; sleep 6
    if curl -sk "${RS[@]}" "$HTTPS/healthz" | grep -q "$marker"; then
        echo "   note: reload (HUP) now serves the new code; the document says it does not"
    else
        ok "reload (HUP) still serves the old code, as the document says"
    fi
fi
run_block s7-restart "$(grep '^systemctl' <<< "$b")"
wait_http "$HTTPS/healthz" "${RS[@]}"
if [ "$visible" -gt 0 ]; then
    curl -sk "${RS[@]}" "$HTTPS/healthz" | grep -q "$marker" || fail "after the restart the old code still answers"
    ok "after the document's restarts the new code answers"
else
    echo "   note: the throwaway change did not apply (views.py changed?): new code not checked"
fi
run_block s7-again "$(grep -v '^systemctl' <<< "$b")" > /dev/null
grep -q "Already up to date" "$LOG/s7-again.log" && grep -q "No migrations to apply" "$LOG/s7-again.log" \
    || fail "the second upgrade was not a no-op: $LOG/s7-again.log"
ok "a second upgrade changes nothing (already up to date, no migrations)"
wait_http "$HTTPS/healthz" "${RS[@]}"

# ==============================================================================================
step "9. Several sites: the deployment administrator"
b=$(block_match 'deployment-admin USERNAME'); need "deployment-admin" "$b"
out=$(run_block s9 "$(sed 's/USERNAME/alice/' <<< "$b")")
[[ "$out" == *"alice now sees"* ]] || fail "deployment-admin: $out"
ok "$out"

step "walk done: every check passed"
