#!/usr/bin/env bash
# A rolling deploy across three cutover hosts behind HAProxy, under load, on loopback: three
# `cutover serve` processes, each with its own ports and state directory, running the same app
# (a process-runtime nginx answering its version) on v1; HAProxy in front, checking each host's
# lb-health path (inter 200ms fall 2 rise 2) and keeping a keep-alive pool to each, as an ALB
# would. wrk -t2 -c16 loops through HAProxy (2-second rounds, summed) while
#   cutover rollout --hosts-file hosts.conf --batch 1 --release v2 ...
# moves every host to v2. Prints the requests, the failed ones (non-2xx, socket errors) and the
# rollout's duration, and writes rollout.md to OUT_DIR (default benchmarks/results).
# Bounded (about a minute, plus a build if needed); stops everything it started, by pid.
#   benchmarks/rollout.sh [OUT_DIR]
#   BATCH=50% benchmarks/rollout.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$(mkdir -p "${1:-$here/results}" && cd "${1:-$here/results}" && pwd)
BATCH=${BATCH:-1}
FRONT=18930; PROXY=(18931 18932 18933); ADMIN=(18941 18942 18943); APP=(18951 18952 18953 18954 18955 18956)

need=()
for tool in nginx:nginx haproxy:haproxy wrk:wrk; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -f "$root/control/target/cutover.jar" ]; then
  (cd "$root" && ./mvnw -B -q package -DskipTests)
fi
for p in $FRONT "${PROXY[@]}" "${ADMIN[@]}" "${APP[@]}"; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done

work=$(mktemp -d /tmp/cutover-rollout.XXXXXX)
chmod 755 "$work"
pids=()
gone() { [ ! -e "/proc/$1" ] || awk '{ exit !($3 == "Z") }' "/proc/$1/stat" 2>/dev/null; }
stop_pid() { kill "$1" 2>/dev/null || true; for _ in $(seq 1 300); do gone "$1" && return 0; sleep 0.05; done; kill -9 "$1" 2>/dev/null || true; }
cleanup() {
  touch "$work/wrk.done" 2>/dev/null || true
  # HAProxy, wrk and the cutovers are ours
  for p in "${pids[@]}"; do stop_pid "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # a cutover leaves its app's processes running when it stops (the next one adopts them): the
  # apps this run started are the ones whose command line names this run's own directory
  for p in $(pgrep -f -- "$work/" || true); do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

# the app: nginx on $PORT answering $VERSION (the process runtime sets PORT; the deploy, VERSION)
cat > "$work/app.sh" <<'SH'
#!/bin/sh
d="$APP_DIR/app-$PORT"; mkdir -p "$d"
cat > "$d/nginx.conf" <<CONF
worker_processes 1; pid $d/nginx.pid; error_log $d/error.log warn; daemon off;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000;
  server { listen 127.0.0.1:$PORT backlog=4096; location / { return 200 "$VERSION"; } } }
CONF
exec nginx -c "$d/nginx.conf"
SH
chmod 755 "$work/app.sh"

# ---- three hosts ----
hosts_conf="hosts = ["
for i in 0 1 2; do
  state="$work/state$i"; mkdir -p "$state"
  cat > "$work/cutover$i.conf" <<CONF
cutover {
  listen = "127.0.0.1:${PROXY[$i]}"
  admin = "127.0.0.1:${ADMIN[$i]}"
  state-dir = "$state"
  lb-health { path = "/lb", grace = 10s }
  health { path = "/", interval = 50ms, deadline = 10s }
  drain.deadline = 10s
  app {
    name = web
    runtime = process
    ports = [${APP[$((2 * i))]}, ${APP[$((2 * i + 1))]}]
    keep-previous = running
    stop-timeout = 5s
    env { APP_DIR = "$work" }
  }
}
CONF
  "$root/bin/cutover" serve --config "$work/cutover$i.conf" > "$work/cutover$i.log" 2>&1 & pids+=($!)
  hosts_conf="$hosts_conf {admin = \"127.0.0.1:${ADMIN[$i]}\", token-file = \"$state/admin-token\"},"
done
echo "$hosts_conf ]" > "$work/hosts.conf"
for i in 0 1 2; do
  wait_port "${PROXY[$i]}"; wait_port "${ADMIN[$i]}"
  "$root/bin/cutover" deploy --admin "127.0.0.1:${ADMIN[$i]}" --state-dir "$work/state$i" --release v1 \
    --env VERSION=v1 --command -- "$work/app.sh" > "$work/deploy$i.log" 2>&1 \
    || { cat "$work/deploy$i.log" "$work/cutover$i.log" >&2; exit 1; }
done

# ---- HAProxy in front, as an ALB target group ----
cat > "$work/haproxy.cfg" <<CONF
global
  maxconn 4000
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend web
  bind 127.0.0.1:$FRONT
  default_backend hosts
backend hosts
  balance roundrobin
  option httpchk
  http-check send meth GET uri /lb ver HTTP/1.1 hdr Host lb
  default-server inter 200ms fall 2 rise 2
  server h0 127.0.0.1:${PROXY[0]} check
  server h1 127.0.0.1:${PROXY[1]} check
  server h2 127.0.0.1:${PROXY[2]} check
CONF
haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 & pids+=($!)
wait_port $FRONT
sleep 1     # rise 2 at 200 ms: every host is up

# ---- the load, in 2-second rounds until the rollout ends (at most 120 rounds) ----
( for _ in $(seq 1 120); do
    [ -f "$work/wrk.done" ] && break
    timeout 30 wrk -t2 -c16 -d2s "http://127.0.0.1:$FRONT/" >> "$work/wrk.txt" 2>&1
  done ) & w=$!; pids+=($w)
sleep 2
start=$(date +%s.%N)
set +e
timeout 300 "$root/bin/cutover" rollout --hosts-file "$work/hosts.conf" --batch "$BATCH" --release v2 \
  --env VERSION=v2 --command -- "$work/app.sh" | tee "$work/rollout.txt"
code=${PIPESTATUS[0]}
set -e
end=$(date +%s.%N)
sleep 2
touch "$work/wrk.done"
wait $w || true
versions=$(for i in 0 1 2; do curl -s "http://127.0.0.1:${PROXY[$i]}/"; echo -n " "; done)
read -r requests failed < <(awk '/requests in/ { n += $1 }
     /Socket errors/ { gsub(",", ""); lost += $4 + $6 + $8 + $10 }
     /Non-2xx/ { lost += $NF }
     END { printf "%d %d\n", n, lost }' "$work/wrk.txt")
duration=$(echo "$end - $start" | bc)
{
  echo "| rolling deploy, 3 hosts behind HAProxy (batch $BATCH), wrk -t2 -c16 through HAProxy | requests | failed (non-2xx, socket errors) | rollout, s | exit | hosts now on |"
  echo "| --- | --- | --- | --- | --- | --- |"
  printf "| cutover rollout | %d | %d | %.1f | %d | %s|\n" "$requests" "$failed" "$duration" "$code" "$versions"
  echo
  echo "$(nproc) cores shared by wrk, HAProxy, three cutovers and their apps; $(uname -sr); $(java -version 2>&1 | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(date -u +%Y-%m-%dT%H:%MZ)"
} > "$out/rollout.md"
echo; cat "$out/rollout.md"
[ "$code" = 0 ]
