#!/usr/bin/env bash
# Side by side, in one run: wrk straight to a fast backend, through cutover, and through nginx
# (upstream keep-alive), in interleaved rounds; then switching under load (cutover's admin API
# vs nginx's symlink swap + reload); then resident memory holding idle keep-alive connections.
# Prints one table of ratios, writes results.md and latency.png to OUT_DIR (default
# benchmarks/results). Loopback only; bounded (about 4 minutes, plus a build if needed); stops
# everything it started, by pid.
#
#   benchmarks/compare.sh [OUT_DIR]
#   ROUNDS=3 DURATION=8 SWITCHES=20 IDLE=10000 benchmarks/compare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$(mkdir -p "${1:-$here/results}" && cd "${1:-$here/results}" && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
SWITCHES=${SWITCHES:-20}
IDLE=${IDLE:-10000}
A=18901; B=18902; NGINX=18903; CUTOVER=18904; ADMIN=18905

# ---- what it needs ----
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk >/dev/null
fi
if [ ! -f "$root/control/target/cutover.jar" ] || [ ! -f "$root/benchmarks/target/benchmarks.jar" ]; then
  (cd "$root" && ./mvnw -B -q package -DskipTests)
fi
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE + 1000)) ]; then
  echo "open files limit $(ulimit -n) is too low for IDLE=$IDLE" >&2; exit 1
fi
for p in $A $B $NGINX $CUTOVER $ADMIN; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done

work=$(mktemp -d /tmp/cutover-compare.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
tool() { java -cp "$root/benchmarks/target/benchmarks.jar" "io.cutover.bench.$@"; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

# ---- the fast backend: two nginx servers answering "A" and "B" ----
cat > "$work/backend.conf" <<CONF
worker_processes 1; worker_rlimit_nofile 65536; pid $work/backend.pid; error_log $work/backend.err warn;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$A backlog=4096; location / { return 200 "A"; } }
  server { listen 127.0.0.1:$B backlog=4096; location / { return 200 "B"; } } }
CONF
nginx -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)

# ---- nginx as the proxy, switched the usual way: a symlink in sites-enabled, then reload ----
mkdir -p "$work/sites-available" "$work/sites-enabled"
echo "upstream app { server 127.0.0.1:$A; keepalive 64; }" > "$work/sites-available/blue.conf"
echo "upstream app { server 127.0.0.1:$B; keepalive 64; }" > "$work/sites-available/green.conf"
ln -sfn "$work/sites-available/blue.conf" "$work/sites-enabled/upstream.conf"
cat > "$work/proxy.conf" <<CONF
worker_processes 1; worker_rlimit_nofile 65536; pid $work/proxy.pid; error_log $work/proxy.err warn;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  include $work/sites-enabled/upstream.conf;
  server { listen 127.0.0.1:$NGINX backlog=4096;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
nginx -c "$work/proxy.conf" -g 'daemon off;' & nginx_pid=$!; pids+=($nginx_pid)

# ---- cutover with its defaults ----
"$root/bin/cutover" serve --listen 127.0.0.1:$CUTOVER --admin 127.0.0.1:$ADMIN --target 127.0.0.1:$A \
  >"$work/cutover.log" 2>&1 & cutover_pid=$!; pids+=($cutover_pid)
wait_port $A; wait_port $NGINX; wait_port $CUTOVER; wait_port $ADMIN

# ---- throughput and latency, interleaved rounds ----
wrk_run() { # name port seconds -> "rps p50_ms p99_ms errors"
  wrk -t2 -c64 -d"$3"s --latency "http://127.0.0.1:$2/" > "$work/wrk.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /Non-2xx|Socket errors/ { err = err $0 }
    END { printf "%s %.3f %.3f %s\n", rps, p50, p99, (err == "" ? "0" : "errors") }' "$work/wrk.txt"
}
echo "warming up (5 s each)..."
for p in $A $CUTOVER $NGINX; do wrk_run warm $p 5 >/dev/null; done
: > "$work/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for pair in direct:$A cutover:$CUTOVER nginx:$NGINX; do
    line=$(wrk_run "${pair%%:*}" "${pair##*:}" "$DURATION")
    echo "round $r ${pair%%:*} $line" | tee -a "$work/rounds.txt"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
stat() { awk -v n="$1" -v c="$2" '$3 == n { print $c }' "$work/rounds.txt" | median; }
for n in direct cutover nginx; do
  eval "${n}_rps=$(stat $n 4) ${n}_p50=$(stat $n 5) ${n}_p99=$(stat $n 6)"
done

# ---- switching under load ----
echo "switching under load ($SWITCHES switches each)..."
cut_switch=$(tool SwitchProbe cutover 127.0.0.1:$CUTOVER "$SWITCHES" 300 "$work/cutover.csv" A B \
  --admin 127.0.0.1:$ADMIN 127.0.0.1:$A 127.0.0.1:$B)
echo "$cut_switch"
to_green="ln -sfn $work/sites-available/green.conf $work/sites-enabled/upstream.conf && nginx -c $work/proxy.conf -t -q && nginx -c $work/proxy.conf -s reload"
to_blue="ln -sfn $work/sites-available/blue.conf $work/sites-enabled/upstream.conf && nginx -c $work/proxy.conf -t -q && nginx -c $work/proxy.conf -s reload"
ngx_switch=$(tool SwitchProbe "nginx reload" 127.0.0.1:$NGINX "$SWITCHES" 300 "$work/nginx.csv" A B \
  --cmd "$to_blue" "$to_green")
echo "$ngx_switch"
tool LatencyChart "$out/latency.png" "$work/cutover.csv" "$work/nginx.csv"
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# ---- memory with idle keep-alive connections ----
echo "holding $IDLE idle keep-alive connections..."
cut_mem=$(tool IdleConnections 127.0.0.1:$CUTOVER "$IDLE" 3000 $cutover_pid)
echo "cutover $cut_mem"
ngx_workers=$(pgrep -P $nginx_pid | paste -sd, -)
ngx_mem=$(tool IdleConnections 127.0.0.1:$NGINX "$IDLE" 3000 "$nginx_pid,$ngx_workers")
echo "nginx $ngx_mem"

# ---- the table ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "| | direct | cutover | nginx | cutover / nginx |"
  echo "| --- | --- | --- | --- | --- |"
  echo "| throughput, req/s (median of $ROUNDS rounds) | $direct_rps | $cutover_rps | $nginx_rps | **$(ratio $cutover_rps $nginx_rps)x** |"
  echo "| throughput as a fraction of direct | 1.00 | $(ratio $cutover_rps $direct_rps) | $(ratio $nginx_rps $direct_rps) | |"
  echo "| p50 latency, ms | $direct_p50 | $cutover_p50 | $nginx_p50 | $(ratio $cutover_p50 $nginx_p50)x |"
  echo "| p99 latency, ms | $direct_p99 | $cutover_p99 | $nginx_p99 | $(ratio $cutover_p99 $nginx_p99)x |"
  echo "| switch to first response of the new backend, median ms ($SWITCHES switches) | | $(field "$cut_switch" median) | $(field "$ngx_switch" median) | |"
  echo "| failed requests across the switches | | $(field "$cut_switch" failed) of $(field "$cut_switch" requests) | $(field "$ngx_switch" failed) of $(field "$ngx_switch" requests) | |"
  echo "| resident memory with $IDLE idle keep-alive connections, MB | | $(field "$cut_mem" rss_idle_mb) | $(field "$ngx_mem" rss_idle_mb) | |"
} > "$out/results.md"
{
  echo
  echo "wrk -t2 -c64 -d${DURATION}s keep-alive on loopback; $(nproc) cores shared by wrk, proxy and backend;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1); $(nginx -v 2>&1); $(date -u +%Y-%m-%dT%H:%MZ)"
} >> "$out/results.md"
echo; cat "$out/results.md"; echo; echo "chart: $out/latency.png"
