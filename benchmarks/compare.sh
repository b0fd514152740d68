#!/usr/bin/env bash
# cutover side by side with nginx, HAProxy and h2o as reverse proxies, in one run, all on
# loopback in front of the same fast backend (an nginx answering a 1-byte body), and beside the
# ceiling for a Netty proxy here: a TCP relay that parses nothing (RelayCeiling, same transport):
#   1. keep-alive throughput and latency, wrk -t2 -c64, interleaved rounds (medians, and the
#      spread min-max of the rounds: the noise)
#   2. the same with 1,000 keep-alive clients (-c1000), interleaved rounds
#   3. a new connection per request: ab -c32 (no keep-alive)
#   4. a 1 MiB download: wrk -t2 -c8 (MB/s)
#   5. switching under load: cutover's admin API, nginx's symlink swap + reload, HAProxy's
#      runtime API (set server ... state): time to the first answer of the new backend, the
#      slowest request, failed requests. Three backends A, B, C: traffic starts on A and the
#      series starts with a switch to C, which the proxy has never routed to (then B, A, C, ...)
#   6. resident memory while holding idle keep-alive client connections (cutover, nginx,
#      HAProxy, h2o)
#   7. the status command's wall time (hyperfine): cutover status; beside it the peers' nearest
#      equivalents: HAProxy's runtime API `show stat` through socat, nginx's stub_status and h2o's
#      status handler through curl (neither has a status command), and cutover's GET /v1/status
#      through curl (the admin API without the CLI's JVM)
#   8. upgrading the proxy itself under load (benchmarks/upgrade.sh): cutover upgrade, nginx -s
#      reload, nginx's binary upgrade, haproxy -x: failed requests, the longest gap in answers,
#      the time until the new process serves
# Writes results.md (a summary of issue 25's measures against their targets first, then the
# detailed tables) and latency.png to OUT_DIR (default benchmarks/results), and prints the
# summary last. Bounded: about 11 minutes with the defaults (the rounds take 2 x ROUNDS x 6 x
# DURATION s, upgrade.sh about 2.5 minutes), plus a build if needed; stops everything it started,
# by pid.
#
#   benchmarks/compare.sh [OUT_DIR]
#   ROUNDS=3 DURATION=8 SWITCHES=20 IDLE=10000 STATUS_RUNS=20 benchmarks/compare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$(mkdir -p "${1:-$here/results}" && cd "${1:-$here/results}" && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
SWITCHES=${SWITCHES:-20}
IDLE=${IDLE:-10000}
STATUS_RUNS=${STATUS_RUNS:-20}
A=18901; B=18902; NGINX=18903; CUTOVER=18904; ADMIN=18905; HAPROXY=18906; H2O=18907; RELAY=18908; C=18909
PROXIES="cutover:$CUTOVER nginx:$NGINX haproxy:$HAPROXY h2o:$H2O relay:$RELAY"

# ---- what it needs ----
need=()
for tool in nginx:nginx wrk:wrk haproxy:haproxy h2o:h2o ab:apache2-utils hyperfine:hyperfine socat:socat curl:curl ss:iproute2; do
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
for p in $A $B $C $NGINX $CUTOVER $ADMIN $HAPROXY $H2O $RELAY; do
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

# ---- the fast backend: three nginx servers answering "A", "B" and "C"; A also serves 1 MiB ----
head -c 1048576 /dev/urandom > "$work/big.bin" && chmod 644 "$work/big.bin"
cat > "$work/backend.conf" <<CONF
worker_processes 1; worker_rlimit_nofile 65536; pid $work/backend.pid; error_log $work/backend.err warn;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$A backlog=4096; location / { return 200 "A"; } location = /big { alias $work/big.bin; } }
  server { listen 127.0.0.1:$B backlog=4096; location / { return 200 "B"; } }
  server { listen 127.0.0.1:$C backlog=4096; location / { return 200 "C"; } } }
CONF
nginx -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)

# ---- nginx as the proxy, switched the usual way: a symlink in sites-enabled, then reload ----
mkdir -p "$work/sites-available" "$work/sites-enabled"
echo "upstream app { server 127.0.0.1:$A; keepalive 64; }" > "$work/sites-available/blue.conf"
echo "upstream app { server 127.0.0.1:$B; keepalive 64; }" > "$work/sites-available/green.conf"
echo "upstream app { server 127.0.0.1:$C; keepalive 64; }" > "$work/sites-available/c.conf"
ln -sfn "$work/sites-available/blue.conf" "$work/sites-enabled/upstream.conf"
cat > "$work/proxy.conf" <<CONF
worker_processes 1; worker_rlimit_nofile 65536; pid $work/proxy.pid; error_log $work/proxy.err warn;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  include $work/sites-enabled/upstream.conf;
  server { listen 127.0.0.1:$NGINX backlog=4096;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location = /nginx_status { stub_status; } } }
CONF
nginx -c "$work/proxy.conf" -g 'daemon off;' & nginx_pid=$!; pids+=($nginx_pid)

# ---- HAProxy: one thread, idle server connections shared; switched through its runtime API ----
# it reserves two descriptors per connection and refuses to start above the open-files limit: as
# many connections as that limit allows (then the idle row says how many it held)
hap_max=$((IDLE + 2000))
if [ "$(ulimit -n)" != unlimited ] && [ $((2 * hap_max + 64)) -gt "$(ulimit -n)" ]; then
  hap_max=$((($(ulimit -n) - 64) / 2))
fi
cat > "$work/haproxy.cfg" <<CONF
global
  maxconn $hap_max
  nbthread 1
  stats socket $work/haproxy.sock mode 600 level admin
defaults
  mode http
  maxconn $hap_max
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
  server c 127.0.0.1:$C disabled
CONF
haproxy -f "$work/haproxy.cfg" -db -q & haproxy_pid=$!; pids+=($haproxy_pid)

# ---- h2o 2.2: one thread; room for the idle connections (its default is 1,024, idle for 10 s) ----
cat > "$work/h2o.conf" <<CONF
num-threads: 1
max-connections: $((IDLE + 2000))
http1-request-timeout: 300
error-log: $work/h2o.err
listen:
  host: 127.0.0.1
  port: $H2O
hosts:
  default:
    paths:
      /:
        proxy.reverse.url: http://127.0.0.1:$A/
      /server-status:
        status: ON
CONF
h2o -c "$work/h2o.conf" >/dev/null 2>&1 & h2o_pid=$!; pids+=($h2o_pid)

# ---- the ceiling: a Netty TCP relay that parses nothing (stops by itself after 20 minutes) ----
java -cp "$root/benchmarks/target/benchmarks.jar" io.cutover.bench.RelayCeiling $RELAY 127.0.0.1:$A 1200 \
  >"$work/relay.log" 2>&1 & pids+=($!)

# ---- cutover with its defaults (its state in the work directory, not the machine's) ----
CUTOVER_STATE_DIR=$work/state "$root/bin/cutover" serve --listen 127.0.0.1:$CUTOVER --admin 127.0.0.1:$ADMIN --target 127.0.0.1:$A \
  >"$work/cutover.log" 2>&1 & cutover_pid=$!; pids+=($cutover_pid)
for p in $A $B $C $NGINX $HAPROXY $H2O $RELAY $CUTOVER $ADMIN; do wait_port $p; done

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
stat() { awk -v k="$1" -v n="$2" -v c="$3" '$1 == k && $3 == n { print $c }' "$work/rounds.txt" | median; }
spread() { # kind name column -> "min-max" of the rounds
  awk -v k="$1" -v n="$2" -v c="$3" '$1 == k && $3 == n { v = $c + 0; if (lo == "" || v < lo) lo = v; if (hi == "" || v > hi) hi = v }
    END { if (lo == "") print "-"; else if (hi >= 100) printf "%.0f-%.0f", lo, hi; else printf "%.2f-%.2f", lo, hi }' "$work/rounds.txt"
}
declare -A rps rps_spread p50 p99 p99_spread rps1k rps1k_spread p991k p991k_spread ab abp99 dl
for pair in direct:$A $PROXIES; do
  n=${pair%%:*}; rps[$n]=$(stat round "$n" 4); p50[$n]=$(stat round "$n" 5); p99[$n]=$(stat round "$n" 6)
  rps_spread[$n]=$(spread round "$n" 4); p99_spread[$n]=$(spread round "$n" 6)
done

# ---- 2. 1,000 keep-alive clients, interleaved rounds ----
echo "1000 keep-alive clients ($ROUNDS rounds)..."
for r in $(seq 1 "$ROUNDS"); do
  for pair in direct:$A $PROXIES; do
    echo "c1000 $r ${pair%%:*} $(wrk_run "${pair##*:}" "$DURATION" 1000)" | tee -a "$work/rounds.txt"
  done
done
for pair in direct:$A $PROXIES; do
  n=${pair%%:*}; rps1k[$n]=$(stat c1000 "$n" 4); p991k[$n]=$(stat c1000 "$n" 6)
  rps1k_spread[$n]=$(spread c1000 "$n" 4); p991k_spread[$n]=$(spread c1000 "$n" 6)
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

# ---- 5. switching under load: A, then C (never routed to before), B, A, C, ... ----
echo "switching under load ($SWITCHES switches each, the first to C, a backend never routed to)..."
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# the admin token cutover made in its state directory, for the probe's POST /v1/switch
cut_switch=$(CUTOVER_ADMIN_TOKEN=$(cat "$work/state/admin-token") tool SwitchProbe cutover 127.0.0.1:$CUTOVER "$SWITCHES" 300 "$work/cutover.csv" A,C,B \
  --admin 127.0.0.1:$ADMIN 127.0.0.1:$A 127.0.0.1:$C 127.0.0.1:$B)
echo "$cut_switch"
ngx_to() { echo "ln -sfn $work/sites-available/$1.conf $work/sites-enabled/upstream.conf && nginx -c $work/proxy.conf -t -q && nginx -c $work/proxy.conf -s reload"; }
ngx_switch=$(tool SwitchProbe "nginx reload" 127.0.0.1:$NGINX "$SWITCHES" 300 "$work/nginx.csv" A,C,B \
  --cmd "$(ngx_to blue)" "$(ngx_to c)" "$(ngx_to green)")
echo "$ngx_switch"
# the new server ready first, then the others in maintenance (the other order leaves none up: 503s)
hap_to() { local cmds="set server app/$1 state ready"; for s in a b c; do [ "$s" = "$1" ] || cmds="$cmds;set server app/$s state maint"; done; echo "$cmds"; }
hap_switch=$(tool SwitchProbe "haproxy runtime API" 127.0.0.1:$HAPROXY "$SWITCHES" 300 "$work/haproxy.csv" A,C,B \
  --haproxy "$work/haproxy.sock" "$(hap_to a)" "$(hap_to c)" "$(hap_to b)")
echo "$hap_switch"
tool LatencyChart "$out/latency.png" "$work/cutover.csv" "$work/nginx.csv" "$work/haproxy.csv"

# ---- 6. memory with idle keep-alive connections ----
echo "holding $IDLE idle keep-alive connections..."
declare -A mem mem_note
idle() { # name port pid[,pid...]
  local r; r=$(tool IdleConnections "127.0.0.1:$2" "$IDLE" 3000 "$3" || echo "failed")
  echo "$1 $r"
  if [ "$(field "$r" answered)" = "$IDLE" ] && [ "$(field "$r" open)" = "$IDLE" ]; then
    mem[$1]=$(field "$r" rss_idle_mb)
  else
    mem[$1]=-; mem_note[$1]="not measurable: $(field "$r" answered) of $IDLE answered, $(field "$r" open) still open"
  fi
}
with_children() { echo "$1$(pgrep -P "$1" | sed 's/^/,/' | tr -d '\n')"; }
idle cutover $CUTOVER "$cutover_pid"
idle nginx $NGINX "$(with_children $nginx_pid)"
idle haproxy $HAPROXY "$(with_children $haproxy_pid)"
idle h2o $H2O "$(with_children $h2o_pid)"

# ---- 7. the status command's wall time ----
echo "status commands (hyperfine, $STATUS_RUNS runs each)..."
declare -A st
hyper() { # name command
  hyperfine --style none --warmup 3 --runs "$STATUS_RUNS" --export-csv "$work/hyperfine.csv" "$2" >/dev/null 2>"$work/hyperfine.err" \
    || { echo "$1: hyperfine failed: $(tail -3 "$work/hyperfine.err")" >&2; st[$1]=-; return 0; }
  st[$1]=$(awk -F, 'NR == 2 { printf "%.1f", $4 * 1000 }' "$work/hyperfine.csv")
  echo "$1 median ${st[$1]} ms"
}
# through hyperfine's shell (its start subtracted), as typed: cutover finds its token in the state directory
echo "Authorization: Bearer $(cat "$work/state/admin-token")" > "$work/auth-header"
hyper cutover "CUTOVER_STATE_DIR=$work/state $root/bin/cutover status --admin 127.0.0.1:$ADMIN >/dev/null"
hyper cutover_api "curl -sf -o /dev/null -H @$work/auth-header http://127.0.0.1:$ADMIN/v1/status"
hyper haproxy "echo 'show stat' | socat stdio UNIX-CONNECT:$work/haproxy.sock >/dev/null"
hyper nginx "curl -sf -o /dev/null http://127.0.0.1:$NGINX/nginx_status"
hyper h2o "curl -sf -o /dev/null http://127.0.0.1:$H2O/server-status/json"

# ---- 8. upgrading the proxy itself under load ----
echo "upgrading each proxy under load..."
UPGRADE_RAW="$work/upgrade.raw" "$here/upgrade.sh" "$out" >/dev/null
declare -A up_serve up_gap
while read -r line; do
  name=$(field "$line" name); up_serve[$name]=$(field "$line" serve_ms); up_gap[$name]=$(field "$line" longest_gap_ms)
done < "$work/upgrade.raw"

# ---- the tables ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
better() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { exit !(a != "-" && (b == "-" || b == "" || ((d == "higher") ? a + 0 > b + 0 : a + 0 < b + 0))) }'; }
best_of() { # metric-array lower|higher name... -> "value name" of the best among those measured
  local -n m=$1; local d=$2; shift 2; local best=- who=-
  for n in "$@"; do v=${m[$n]:--}; [ "$v" = - ] && continue; if better "$v" "$best" "$d"; then best=$v; who=$n; fi; done
  echo "$best $who"
}
best_peer() { best_of "$1" "$2" nginx haproxy h2o | cut -d' ' -f1; }
row() { # label array [noratio] -> a table row of values, then cutover over nginx/haproxy
  local -n m=$2; local r1 r2
  r1="$(ratio "${m[cutover]:-}" "${m[nginx]:-}")x"; r2="$(ratio "${m[cutover]:-}" "${m[haproxy]:-}")x"
  if [ -n "${3:-}" ]; then r1=-; r2=-; fi
  echo "| $1 | ${m[direct]:--} | ${m[cutover]:--} | ${m[nginx]:--} | ${m[haproxy]:--} | ${m[h2o]:--} | ${m[relay]:--} | $r1 | $r2 |"
}
declare -A frac frac1k
for n in cutover nginx haproxy h2o relay; do frac[$n]=$(ratio "${rps[$n]}" "${rps[direct]}"); frac1k[$n]=$(ratio "${rps1k[$n]}" "${rps1k[direct]}"); done
frac[direct]=1.00; frac1k[direct]=1.00

# the summary: issue 25's measures against their targets
yes_no() { if awk "BEGIN { exit !($1) }" 2>/dev/null; then echo yes; else echo no; fi; }
peer_name() { case $1 in nginx) echo nginx;; haproxy) echo HAProxy;; h2o) echo h2o;; haproxy_-x) echo "haproxy -x";;
  nginx_binary_upgrade) echo "nginx binary upgrade";; nginx_reload) echo "nginx reload";; *) echo "$1";; esac; }
summary() {
  local b w v
  echo "| measure | cutover | best peer (which) | issue 25's target | met |"
  echo "| --- | --- | --- | --- | --- |"
  read -r b w <<<"$(best_of mem lower nginx haproxy h2o)"
  v=${mem[cutover]}
  echo "| resident memory with $IDLE idle keep-alive clients, MB (throughput kept: keep-alive -c64 at ${frac[cutover]} of direct, rounds ${rps_spread[cutover]} req/s) | $v${mem_note[cutover]:+ (${mem_note[cutover]})} | $b ($(peer_name "$w")) | <= 80 MB, with throughput kept | $([ "$v" = - ] && echo no || yes_no "$v <= 80") |"
  read -r b w <<<"$(best_of p991k lower nginx haproxy h2o)"
  echo "| p99 with 1,000 keep-alive clients, ms (median of $ROUNDS rounds; rounds: cutover ${p991k_spread[cutover]}, HAProxy ${p991k_spread[haproxy]}) | ${p991k[cutover]} | $b ($(peer_name "$w")) | <= HAProxy's (${p991k[haproxy]}) | $(yes_no "${p991k[cutover]} <= ${p991k[haproxy]}") |"
  read -r b w <<<"$(best_of p99 lower nginx haproxy h2o)"
  echo "| p99 with 64 keep-alive clients, ms (median of $ROUNDS rounds; rounds: cutover ${p99_spread[cutover]}) | ${p99[cutover]} | $b ($(peer_name "$w")) | <= the best peer's | $(yes_no "${p99[cutover]} <= $b") |"
  local cm cx hm hx nm nx
  cm=$(field "$cut_switch" median); cx=$(field "$cut_switch" max); hm=$(field "$hap_switch" median); hx=$(field "$hap_switch" max)
  nm=$(field "$ngx_switch" median); nx=$(field "$ngx_switch" max)
  if better "$nm" "$hm" lower; then b="$nm / $nx (nginx symlink + reload)"; else b="$hm / $hx (HAProxy runtime API)"; fi
  echo "| first answer of the new backend after a switch, median / max, ms ($SWITCHES switches under load; the first to C, never routed to before: cutover $(field "$cut_switch" first), HAProxy $(field "$hap_switch" first), nginx $(field "$ngx_switch" first)) | $cm / $cx | $b | <= HAProxy's runtime API ($hm / $hx), both | $(yes_no "$cm <= $hm && $cx <= $hx") |"
  local cuts="" gaps="" worst_serve="" worst_gap="" k how
  for k in $(printf '%s\n' "${!up_serve[@]}" | sort); do
    [[ $k == cutover* ]] || continue
    how=$(echo "$k" | sed 's/^cutover_(\(.*\))$/\1/; s/_/ /g')
    cuts="$cuts${cuts:+; }${up_serve[$k]} ($how)"; gaps="$gaps${gaps:+; }${up_gap[$k]} ($how)"
    better "${up_serve[$k]}" "${worst_serve:--}" higher && worst_serve=${up_serve[$k]}
    better "${up_gap[$k]}" "${worst_gap:--}" higher && worst_gap=${up_gap[$k]}
  done
  read -r b w <<<"$(best_of up_serve lower haproxy_-x nginx_binary_upgrade)"
  echo "| \`cutover upgrade\`: time until the new process serves, ms (median of the upgrades; peers: until a new process holds the listener) | ${cuts:--} | $b ($(peer_name "$w")) | <= 1000 | $([ -z "$worst_serve" ] && echo no || yes_no "$worst_serve <= 1000") |"
  read -r b w <<<"$(best_of up_gap lower haproxy_-x nginx_binary_upgrade)"
  echo "| longest gap between two answers during an upgrade, ms (with no upgrade, the same load: cutover ${up_gap[floor:_cutover,_no_upgrade]:--}, HAProxy ${up_gap[floor:_HAProxy,_no_upgrade]:--}) | ${gaps:--} | $b ($(peer_name "$w")) | <= 10 | $([ -z "$worst_gap" ] && echo no || yes_no "$worst_gap <= 10") |"
  read -r b w <<<"$(best_of st lower haproxy nginx h2o)"
  echo "| \`cutover status\` wall time, ms (hyperfine median of $STATUS_RUNS; GET /v1/status alone through curl: ${st[cutover_api]:--}) | ${st[cutover]} | $b ($(peer_name "$w"): $(case $w in haproxy) echo "show stat through socat";; nginx) echo "stub_status through curl";; h2o) echo "its status handler through curl";; esac)) | <= 300 | $([ "${st[cutover]}" = - ] && echo no || yes_no "${st[cutover]} <= 300") |"
  read -r b w <<<"$(best_of rps higher nginx haproxy h2o)"
  echo "| noise: keep-alive -c64 req/s, median (min-max of $ROUNDS interleaved rounds) | ${rps[cutover]} (${rps_spread[cutover]}) | $b (${rps_spread[$w]:--}) ($(peer_name "$w")) | no regression beyond the spread | - |"
}
{
  echo "Issue 25's measures, one run side by side:"
  echo
  summary
  echo
  echo "| | direct | cutover | nginx | HAProxy | h2o | relay (ceiling) | cutover / nginx | cutover / HAProxy |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  row "keep-alive, 64 clients: req/s (median of $ROUNDS rounds)" rps
  row "the rounds' spread (min-max), req/s" rps_spread noratio
  row "the same as a fraction of direct" frac
  row "p50 latency, ms" p50
  row "p99 latency, ms" p99
  row "keep-alive, 1,000 clients: req/s (median of $ROUNDS rounds)" rps1k
  row "the rounds' spread (min-max), req/s" rps1k_spread noratio
  row "the same as a fraction of direct" frac1k
  row "p99 latency with 1,000 clients, ms" p991k
  row "the rounds' spread (min-max), ms" p991k_spread noratio
  row "a new connection per request (ab -c32): req/s" ab
  row "p99 latency with a new connection per request, ms" abp99
  row "1 MiB download (wrk -c8): MB/s" dl
  row "resident memory with $IDLE idle keep-alive clients, MB" mem
  row "\`status\` wall time, ms (hyperfine median)" st
} > "$out/results.md"
{
  echo
  echo "| switching under load ($SWITCHES switches; A, then C never routed to, B, A, C, ...) | cutover (admin API) | nginx (symlink + reload) | HAProxy (runtime API) |"
  echo "| --- | --- | --- | --- |"
  for k in first median max; do
    echo "| time from the switch to the first answer of the new backend, $k, ms | $(field "$cut_switch" $k) | $(field "$ngx_switch" $k) | $(field "$hap_switch" $k) |"
  done
  echo "| slowest request across the switches, ms | $(field "$cut_switch" slowest_request_ms) | $(field "$ngx_switch" slowest_request_ms) | $(field "$hap_switch" slowest_request_ms) |"
  echo "| failed requests | $(field "$cut_switch" failed) of $(field "$cut_switch" requests) | $(field "$ngx_switch" failed) of $(field "$ngx_switch" requests) | $(field "$hap_switch" failed) of $(field "$hap_switch" requests) |"
  echo
  echo "Resident memory: VmRSS summed over the proxy's processes (nginx: master and worker; HAProxy and h2o: one process) after opening $IDLE keep-alive connections, one request answered on each, and 3 s idle.${mem_note[nginx]:+ nginx: ${mem_note[nginx]}.}${mem_note[haproxy]:+ HAProxy: ${mem_note[haproxy]}.}${mem_note[h2o]:+ h2o: ${mem_note[h2o]}.}"
  echo "Status: \`cutover status\` (a JVM that asks GET /v1/status and GET /v1/lb); nginx and h2o have no status command, so their nearest equivalents are their status pages through curl (nginx's stub_status: connection counters only; h2o's /server-status/json); HAProxy: \`show stat\` on its runtime API through socat. cutover's GET /v1/status through curl, for the CLI's share: ${st[cutover_api]:--} ms."
  echo
  echo "Best peer: keep-alive p50 $(best_peer p50 lower) ms, p99 $(best_peer p99 lower) ms; 1,000 clients $(best_peer rps1k higher) req/s."
  echo "wrk -t2 -d${DURATION}s on loopback; $(nproc) cores shared by the load generator, the proxy and the backend;"
  echo "$(uname -sr); $(java -version 2>&1 | head -1); $(nginx -v 2>&1); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(h2o --version | head -1); $(hyperfine --version); $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  cat "$out/upgrade.md"
} >> "$out/results.md"
echo; cat "$out/results.md"; echo; echo "chart: $out/latency.png"
echo; echo "Issue 25's measures:"; echo; summary
