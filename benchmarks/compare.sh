#!/usr/bin/env bash
# cutover side by side with nginx, HAProxy and h2o as reverse proxies, in one run, all on
# loopback in front of the same fast backend (an nginx answering a 1-byte body), and beside the
# ceiling for a Netty proxy here: a TCP relay that parses nothing (RelayCeiling, same transport):
#   1. keep-alive throughput and latency, wrk -t2 -c64, interleaved rounds (medians)
#   2. the same with 1,000 keep-alive clients (-c1000), one round each
#   3. a new connection per request: ab -c32 (no keep-alive)
#   4. a 1 MiB download: wrk -t2 -c8 (MB/s)
#   5. switching under load: cutover's admin API, nginx's symlink swap + reload, HAProxy's
#      runtime API (set server ... state): time to the first answer of the new backend, the
#      slowest request, failed requests
#   6. resident memory while holding idle keep-alive client connections (cutover, nginx)
#   7. upgrading the proxy itself under load (benchmarks/upgrade.sh): cutover upgrade, nginx -s
#      reload, nginx's binary upgrade, haproxy -x: failed requests, the longest gap in answers
# Prints one table (ratios to a direct connection), writes results.md and latency.png to OUT_DIR
# (default benchmarks/results). Bounded (about 10 minutes, plus a build if needed); stops
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
A=18901; B=18902; NGINX=18903; CUTOVER=18904; ADMIN=18905; HAPROXY=18906; H2O=18907; RELAY=18908
PROXIES="cutover:$CUTOVER nginx:$NGINX haproxy:$HAPROXY h2o:$H2O relay:$RELAY"

# ---- what it needs ----
need=()
for tool in nginx:nginx wrk:wrk haproxy:haproxy h2o:h2o ab:apache2-utils; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -f "$root/control/target/cutover.jar" ] || [ ! -f "$root/benchmarks/target/benchmarks.jar" ]; then
  (cd "$root" && ./mvnw -B -q package -DskipTests)
fi
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE + 1000)) ]; then
  echo "open files limit $(ulimit -n) is too low for IDLE=$IDLE" >&2; exit 1
fi
for p in $A $B $NGINX $CUTOVER $ADMIN $HAPROXY $H2O $RELAY; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done

work=$(mktemp -d /tmp/cutover-compare.XXXXXX)
chmod 755 "$work"     # nginx's workers (nobody) serve the 1 MiB file from here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
tool() { java -cp "$root/benchmarks/target/benchmarks.jar" "io.cutover.bench.$@"; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

# ---- the fast backend: two nginx servers answering "A" and "B"; A also serves 1 MiB ----
head -c 1048576 /dev/urandom > "$work/big.bin" && chmod 644 "$work/big.bin"
cat > "$work/backend.conf" <<CONF
worker_processes 1; worker_rlimit_nofile 65536; pid $work/backend.pid; error_log $work/backend.err warn;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$A backlog=4096; location / { return 200 "A"; } location = /big { alias $work/big.bin; } }
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

# ---- HAProxy: one thread, idle server connections shared; switched through its runtime API ----
cat > "$work/haproxy.cfg" <<CONF
global
  maxconn 8000
  nbthread 1
  stats socket $work/haproxy.sock mode 600 level admin
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  http-reuse always
frontend web
  bind 127.0.0.1:$HAPROXY
  default_backend app
backend app
  server a 127.0.0.1:$A
  server b 127.0.0.1:$B disabled
CONF
haproxy -f "$work/haproxy.cfg" -db -q & pids+=($!)

# ---- h2o 2.2: one thread ----
cat > "$work/h2o.conf" <<CONF
num-threads: 1
error-log: $work/h2o.err
listen:
  host: 127.0.0.1
  port: $H2O
hosts:
  default:
    paths:
      /:
        proxy.reverse.url: http://127.0.0.1:$A/
CONF
h2o -c "$work/h2o.conf" >/dev/null 2>&1 & pids+=($!)

# ---- the ceiling: a Netty TCP relay that parses nothing (stops by itself after 20 minutes) ----
java -cp "$root/benchmarks/target/benchmarks.jar" io.cutover.bench.RelayCeiling $RELAY 127.0.0.1:$A 1200 \
  >"$work/relay.log" 2>&1 & pids+=($!)

# ---- cutover with its defaults (its state in the work directory, not the machine's) ----
CUTOVER_STATE_DIR=$work/state "$root/bin/cutover" serve --listen 127.0.0.1:$CUTOVER --admin 127.0.0.1:$ADMIN --target 127.0.0.1:$A \
  >"$work/cutover.log" 2>&1 & cutover_pid=$!; pids+=($cutover_pid)
for p in $A $NGINX $HAPROXY $H2O $RELAY $CUTOVER $ADMIN; do wait_port $p; done

# ---- 1. keep-alive throughput and latency, interleaved rounds ----
wrk_run() { # port seconds connections [path] -> "rps p50_ms p99_ms errors transfer_mb_s"
  wrk -t2 -c"$3" -d"$2"s --latency "http://127.0.0.1:$1${4:-/}" > "$work/wrk.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    function mb(v) { if (v ~ /GB$/) return v * 1024; if (v ~ /MB$/) return v + 0; if (v ~ /KB$/) return v / 1024; return v / 1048576 }
    /Requests\/sec/ { rps = $2 } /Transfer\/sec/ { tr = mb($2) }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /Non-2xx|Socket errors/ { err = "errors" }
    END { printf "%s %.3f %.3f %s %.1f\n", rps, p50, p99, (err == "" ? "0" : err), tr }' "$work/wrk.txt"
}
echo "warming up (5 s each)..."
for pair in direct:$A $PROXIES; do wrk_run "${pair##*:}" 5 64 >/dev/null; done
: > "$work/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for pair in direct:$A $PROXIES; do
    echo "round $r ${pair%%:*} $(wrk_run "${pair##*:}" "$DURATION" 64)" | tee -a "$work/rounds.txt"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
stat() { awk -v n="$1" -v c="$2" '$3 == n { print $c }' "$work/rounds.txt" | median; }
declare -A rps p50 p99 rps1k p991k ab abp99 dl
for pair in direct:$A $PROXIES; do
  n=${pair%%:*}; rps[$n]=$(stat "$n" 4); p50[$n]=$(stat "$n" 5); p99[$n]=$(stat "$n" 6)
done

# ---- 2. 1,000 keep-alive clients ----
echo "1000 keep-alive clients..."
for pair in direct:$A $PROXIES; do
  line=$(wrk_run "${pair##*:}" "$DURATION" 1000); echo "c1000 ${pair%%:*} $line"
  set -- $line; rps1k[${pair%%:*}]=$1; p991k[${pair%%:*}]=$3
done

# ---- 3. a new connection per request ----
echo "a new connection per request (ab -c32 -n20000, after one such run each to warm up)..."
for pair in direct:$A $PROXIES; do
  ab -q -c32 -n20000 "http://127.0.0.1:${pair##*:}/" >/dev/null 2>&1 || true
  ab -q -c32 -n20000 "http://127.0.0.1:${pair##*:}/" > "$work/ab.txt" 2>&1 || true
  ab[${pair%%:*}]=$(awk '/^Requests per second/ { print $4 }' "$work/ab.txt")
  abp99[${pair%%:*}]=$(awk '$1 == "99%" { print $2 }' "$work/ab.txt")
  failed=$(awk '/^Failed requests/ { print $3 }' "$work/ab.txt")
  echo "ab ${pair%%:*} ${ab[${pair%%:*}]} req/s p99 ${abp99[${pair%%:*}]} ms failed ${failed:-?}"
done

# ---- 4. 1 MiB download ----
echo "1 MiB download (wrk -c8)..."
for pair in direct:$A $PROXIES; do
  set -- $(wrk_run "${pair##*:}" "$DURATION" 8 /big); dl[${pair%%:*}]=$5; echo "download ${pair%%:*} $5 MB/s"
done

# ---- 5. switching under load ----
echo "switching under load ($SWITCHES switches each)..."
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# the admin token cutover made in its state directory, for the probe's POST /v1/switch
cut_switch=$(CUTOVER_ADMIN_TOKEN=$(cat "$work/state/admin-token") tool SwitchProbe cutover 127.0.0.1:$CUTOVER "$SWITCHES" 300 "$work/cutover.csv" A B \
  --admin 127.0.0.1:$ADMIN 127.0.0.1:$A 127.0.0.1:$B)
echo "$cut_switch"
to_green="ln -sfn $work/sites-available/green.conf $work/sites-enabled/upstream.conf && nginx -c $work/proxy.conf -t -q && nginx -c $work/proxy.conf -s reload"
to_blue="ln -sfn $work/sites-available/blue.conf $work/sites-enabled/upstream.conf && nginx -c $work/proxy.conf -t -q && nginx -c $work/proxy.conf -s reload"
ngx_switch=$(tool SwitchProbe "nginx reload" 127.0.0.1:$NGINX "$SWITCHES" 300 "$work/nginx.csv" A B \
  --cmd "$to_blue" "$to_green")
echo "$ngx_switch"
hap_switch=$(tool SwitchProbe "haproxy runtime API" 127.0.0.1:$HAPROXY "$SWITCHES" 300 "$work/haproxy.csv" A B \
  --haproxy "$work/haproxy.sock" "set server app/a state ready;set server app/b state maint" \
  "set server app/b state ready;set server app/a state maint")
echo "$hap_switch"
tool LatencyChart "$out/latency.png" "$work/cutover.csv" "$work/nginx.csv" "$work/haproxy.csv"

# ---- 6. memory with idle keep-alive connections ----
echo "holding $IDLE idle keep-alive connections..."
cut_mem=$(tool IdleConnections 127.0.0.1:$CUTOVER "$IDLE" 3000 $cutover_pid)
echo "cutover $cut_mem"
ngx_workers=$(pgrep -P $nginx_pid | paste -sd, -)
ngx_mem=$(tool IdleConnections 127.0.0.1:$NGINX "$IDLE" 3000 "$nginx_pid,$ngx_workers")
echo "nginx $ngx_mem"

# ---- the table ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
best_peer() { # metric-array lower|higher -> the best peer's value
  local -n m=$1; local best=""
  for n in nginx haproxy h2o; do
    v=${m[$n]}
    if [ -z "$best" ] || awk -v a="$v" -v b="$best" -v d="$2" 'BEGIN { exit !((d == "higher") ? a > b : a < b) }'; then best=$v; fi
  done
  echo "$best"
}
row() { # label array -> a table row of values, then cutover over nginx/haproxy
  local -n m=$2
  echo "| $1 | ${m[direct]:-} | ${m[cutover]} | ${m[nginx]} | ${m[haproxy]} | ${m[h2o]} | ${m[relay]} | $(ratio "${m[cutover]}" "${m[nginx]}")x | $(ratio "${m[cutover]}" "${m[haproxy]}")x |"
}
declare -A frac frac1k
for n in cutover nginx haproxy h2o relay; do frac[$n]=$(ratio "${rps[$n]}" "${rps[direct]}"); frac1k[$n]=$(ratio "${rps1k[$n]}" "${rps1k[direct]}"); done
frac[direct]=1.00; frac1k[direct]=1.00
{
  echo "| | direct | cutover | nginx | HAProxy | h2o | relay (ceiling) | cutover / nginx | cutover / HAProxy |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  row "keep-alive, 64 clients: req/s (median of $ROUNDS rounds)" rps
  row "the same as a fraction of direct" frac
  row "p50 latency, ms" p50
  row "p99 latency, ms" p99
  row "keep-alive, 1,000 clients: req/s" rps1k
  row "the same as a fraction of direct" frac1k
  row "p99 latency with 1,000 clients, ms" p991k
  row "a new connection per request (ab -c32): req/s" ab
  row "p99 latency with a new connection per request, ms" abp99
  row "1 MiB download (wrk -c8): MB/s" dl
} > "$out/results.md"
{
  echo
  echo "| switching under load ($SWITCHES switches) | cutover (admin API) | nginx (symlink + reload) | HAProxy (runtime API) |"
  echo "| --- | --- | --- | --- |"
  for k in median max first; do
    echo "| time from the switch to the first answer of the new backend, $k, ms | $(field "$cut_switch" $k) | $(field "$ngx_switch" $k) | $(field "$hap_switch" $k) |"
  done
  echo "| slowest request across the switches, ms | $(field "$cut_switch" slowest_request_ms) | $(field "$ngx_switch" slowest_request_ms) | $(field "$hap_switch" slowest_request_ms) |"
  echo "| failed requests | $(field "$cut_switch" failed) of $(field "$cut_switch" requests) | $(field "$ngx_switch" failed) of $(field "$ngx_switch" requests) | $(field "$hap_switch" failed) of $(field "$hap_switch" requests) |"
  echo
  echo "Resident memory with $IDLE idle keep-alive client connections: cutover $(field "$cut_mem" rss_idle_mb) MB, nginx $(field "$ngx_mem" rss_idle_mb) MB."
  echo
  echo "Best peer: keep-alive p50 $(best_peer p50 lower) ms, p99 $(best_peer p99 lower) ms; 1,000 clients $(best_peer rps1k higher) req/s."
  echo "wrk -t2 -d${DURATION}s on loopback; $(nproc) cores shared by the load generator, the proxy and the backend;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1); $(nginx -v 2>&1); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(h2o --version | head -1); $(date -u +%Y-%m-%dT%H:%MZ)"
} >> "$out/results.md"

# ---- 7. upgrading the proxy itself under load ----
echo "upgrading each proxy under load..."
"$here/upgrade.sh" "$out" >/dev/null
{ echo; cat "$out/upgrade.md"; } >> "$out/results.md"
echo; cat "$out/results.md"; echo; echo "chart: $out/latency.png"
