#!/usr/bin/env bash
# Upgrading the proxy itself under load, side by side, in one run: clients loop GET / (half on
# keep-alive connections, half on a new connection per request) while the proxy is replaced
# again and again, and UpgradeProbe counts the failed requests and the longest gap between two
# answers:
#   cutover      cutover upgrade (the new process takes the sockets over; the old one drains),
#                on io_uring bound with SO_REUSEPORT when net.ipv4.tcp_migrate_req = 1, and on
#                epoll with the sockets handed over when it is 0 (both, when this runs as root:
#                it sets the sysctl for each and puts it back)
#   nginx reload nginx -s reload
#   nginx binary USR2 to the master (a new binary inherits the listening sockets), then WINCH
#                and QUIT to the old master
#   haproxy -x   a new haproxy -x SOCKET -sf OLD_PID (the listeners passed over the stats socket)
# "Until the new process serves": for cutover, the wall time of `cutover upgrade` (the command,
# its JVM's start included, returns once the new process has taken the sockets over and
# accepts); for the peers, from the signal or command until a process that was not serving
# before holds the listening socket (ss -ltnp): a new worker of the same master after nginx -s
# reload, a worker of the new master after USR2, the new haproxy after -x. Polled every 5 ms.
# floor        the same load, clients and pauses with no upgrade at all (the command only sleeps
#              about as long as an upgrade takes), for cutover and HAProxy: the longest gap the
#              loaded machine gives with nothing happening, against which an upgrade's gap reads.
# All on loopback in front of one nginx backend. Prints a table and writes upgrade.md to OUT_DIR
# (default benchmarks/results), and with UPGRADE_RAW=FILE the probes' result lines to FILE (for
# compare.sh's summary). Bounded (about 2 minutes); stops everything it started, by pid.
#   benchmarks/upgrade.sh [OUT_DIR]
#   UPGRADES=5 PAUSE_MS=1500 benchmarks/upgrade.sh
#   ONLY="cutover nginx-reload nginx-binary haproxy floor" benchmarks/upgrade.sh   (the default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$(mkdir -p "${1:-$here/results}" && cd "${1:-$here/results}" && pwd)
UPGRADES=${UPGRADES:-5}
PAUSE_MS=${PAUSE_MS:-1500}
ONLY=${ONLY:-cutover nginx-reload nginx-binary haproxy floor}
want() { [[ " $ONLY " == *" $1 "* ]]; }
UPGRADE_RAW=${UPGRADE_RAW:-}
A=18921; CUTOVER=18922; ADMIN=18923; NGINX=18924; NGINX_BIN=18925; HAPROXY=18926

need=()
for tool in nginx:nginx haproxy:haproxy wrk:wrk ss:iproute2; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -f "$root/control/target/cutover.jar" ] || [ ! -f "$root/benchmarks/target/benchmarks.jar" ]; then
  (cd "$root" && ./mvnw -B -q package -DskipTests)
fi
for p in $A $CUTOVER $ADMIN $NGINX $NGINX_BIN $HAPROXY; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done

work=$(mktemp -d /tmp/cutover-upgrade.XXXXXX)
migrate=/proc/sys/net/ipv4/tcp_migrate_req
migrate_was=$(cat $migrate 2>/dev/null || echo "")
pids=()
gone() { [ ! -e "/proc/$1" ] || awk '{ exit !($3 == "Z") }' "/proc/$1/stat" 2>/dev/null; }
stop_pid() { kill "$1" 2>/dev/null || true; for _ in $(seq 1 200); do gone "$1" && return 0; sleep 0.05; done; kill -9 "$1" 2>/dev/null || true; }
cleanup() {
  for f in "$work"/*.pid; do [ -f "$f" ] && stop_pid "$(cat "$f")"; done
  for p in "${pids[@]}"; do stop_pid "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$migrate_was" ] && [ -w $migrate ]; then echo "$migrate_was" > $migrate; fi
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }
# beside the probe, wrk: 8 keep-alive connections, each always with a request in flight (as a load
# balancer's pool), never retrying; its read/write errors and timeouts are requests it lost. It
# runs in 2-second rounds for as long as the probe does (at most 300 of them), summed.
probe() {
  rm -f "$work/probe.done" "$work/wrk.txt" "$work/served.txt"
  ( for _ in $(seq 1 300); do
      [ -f "$work/probe.done" ] && break
      timeout 30 wrk -t1 -c8 -d2s "http://127.0.0.1:$2/" >> "$work/wrk.txt" 2>&1
    done ) & local w=$!
  java -cp "$root/benchmarks/target/benchmarks.jar" io.cutover.bench.UpgradeProbe "$1" "127.0.0.1:$2" "$UPGRADES" "$PAUSE_MS" "$3"
  touch "$work/probe.done"
  wait $w || true
  awk '/requests in/ { n += $1 }
       /Socket errors/ { gsub(",", ""); c += $4; lost += $6 + $8 + $10 }
       /Non-2xx/ { lost += $NF }
       END { printf " wrk_requests=%d wrk_connect=%d wrk_lost=%d", n, c, lost }' "$work/wrk.txt"
  # the median of the times each upgrade command recorded until the new process served
  echo " serve_ms=$(sort -n "$work/served.txt" 2>/dev/null | awk '{ v[NR] = $1 } END { print (NR ? v[int(NR / 2) + 1] : "-") }')"
}
# the helpers the upgrade commands use: milliseconds since $t0, and whether a given pid holds the
# listening socket on a port
cat > "$work/serving.sh" <<SH
since() { echo \$(( (\$(date +%s%N) - \$1) / 1000000 )); }
holds() { ss -Hltnp "sport = :\$1" | grep -q "pid=\$2,"; }
SH

# ---- the backend ----
cat > "$work/backend.conf" <<CONF
worker_processes 1; pid $work/backend.nginx-pid; error_log $work/backend.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000;
  server { listen 127.0.0.1:$A backlog=4096; location / { return 200 "A"; } } }
CONF
nginx -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)
wait_port $A
declare -A result

# ---- cutover: cutover upgrade, once per transport ----
cutover_run() { # label
  local state="$work/state-$RANDOM"
  CUTOVER_STATE_DIR=$state "$root/bin/cutover" serve --listen 127.0.0.1:$CUTOVER --admin 127.0.0.1:$ADMIN \
    --target 127.0.0.1:$A --health-path / >"$work/cutover.log" 2>&1 & local first=$!
  echo $first > "$work/cutover.pid"
  wait_port $CUTOVER; wait_port $ADMIN
  result[$1]=$(probe "$1" $CUTOVER ". $work/serving.sh; t0=\$(date +%s%N); \
    $root/bin/cutover upgrade --admin 127.0.0.1:$ADMIN --state-dir $state | tee -a $work/upgrades.txt \
    | grep -o 'pid [0-9]* took over' | grep -o '[0-9]*' > $work/cutover.pid; s=\${PIPESTATUS[0]}; \
    [ \$s = 0 ] && since \$t0 >> $work/served.txt; exit \$s")
  echo "${result[$1]}"
  stop_pid "$(cat "$work/cutover.pid")"; wait $first 2>/dev/null || true
  rm -f "$work/cutover.pid"
}
# the floor: cutover serving under the same load, with no upgrade (the command sleeps 3 s, about
# an upgrade's length here)
if want floor; then
  state="$work/state-floor"
  CUTOVER_STATE_DIR=$state "$root/bin/cutover" serve --listen 127.0.0.1:$CUTOVER --admin 127.0.0.1:$ADMIN \
    --target 127.0.0.1:$A --health-path / >"$work/cutover.log" 2>&1 & floor_pid=$!
  echo $floor_pid > "$work/cutover.pid"
  wait_port $CUTOVER; wait_port $ADMIN
  result[floor cutover]=$(probe "floor: cutover, no upgrade" $CUTOVER "sleep 3")
  echo "${result[floor cutover]}"
  stop_pid $floor_pid; wait $floor_pid 2>/dev/null || true
  rm -f "$work/cutover.pid"
fi
if ! want cutover; then
  :
elif [ -w $migrate ]; then
  echo 1 > $migrate; cutover_run "cutover (io_uring, SO_REUSEPORT)"
  echo 0 > $migrate; cutover_run "cutover (epoll, sockets handed over)"
  echo "$migrate_was" > $migrate
else
  cutover_run "cutover (tcp_migrate_req=$migrate_was)"
fi

# ---- nginx -s reload ----
cat > "$work/proxy.conf" <<CONF
worker_processes 1; pid $work/proxy.nginx-pid; error_log $work/proxy.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000;
  upstream app { server 127.0.0.1:$A; keepalive 64; }
  server { listen 127.0.0.1:$NGINX backlog=4096;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
if want nginx-reload; then
  nginx -c "$work/proxy.conf" -g 'daemon off;' & pids+=($!)
  wait_port $NGINX
  cat > "$work/nginx-reload.sh" <<SH
. $work/serving.sh
t0=\$(date +%s%N)
master=\$(cat $work/proxy.nginx-pid)
old=" \$(pgrep -P \$master | tr '\\n' ' ')"
nginx -c $work/proxy.conf -s reload || exit 1
for _ in \$(seq 1 2000); do
  for w in \$(pgrep -P \$master); do
    [[ "\$old" != *" \$w "* ]] && holds $NGINX \$w && { since \$t0 >> $work/served.txt; exit 0; }
  done
  sleep 0.005
done
exit 1
SH
  result[nginx reload]=$(probe "nginx reload" $NGINX "bash $work/nginx-reload.sh")
  echo "${result[nginx reload]}"
fi

# ---- nginx binary upgrade: USR2, then WINCH and QUIT to the old master ----
sed -e "s|$NGINX|$NGINX_BIN|; s|proxy.nginx-pid|binary.pid|; s|proxy.err|binary.err|" "$work/proxy.conf" > "$work/binary.conf"
# a daemon: nginx ignores USR2 while the process that started it runs (it takes itself for a new
# binary whose old one still runs); its master's pid is in binary.pid
"$(command -v nginx)" -c "$work/binary.conf"
wait_port $NGINX_BIN
cat > "$work/nginx-binary-upgrade.sh" <<SH
. $work/serving.sh
t0=\$(date +%s%N)
gone() { [ ! -e "/proc/\$1" ] || awk '{ exit !(\$3 == "Z") }' "/proc/\$1/stat" 2>/dev/null; }
old=\$(cat $work/binary.pid)
kill -USR2 \$old
new=""
for _ in \$(seq 1 2000); do
  [ -f $work/binary.pid.oldbin ] && new=\$(cat $work/binary.pid 2>/dev/null) && [ -n "\$new" ] && [ "\$new" != "\$old" ] && break
  new=""; sleep 0.005
done
# no new master (nginx ignored the signal): the old one goes on, and this upgrade failed
[ -n "\$new" ] || { echo "no new master for \$old: \$(grep PPid /proc/\$old/status)" >> $work/binary.failures; exit 1; }
served=""
for _ in \$(seq 1 2000); do
  for w in \$(pgrep -P \$new); do holds $NGINX_BIN \$w && served=1; done
  [ -n "\$served" ] && { since \$t0 >> $work/served.txt; break; }
  sleep 0.005
done
kill -WINCH \$old; kill -QUIT \$old
for _ in \$(seq 1 600); do gone \$old && exit 0; sleep 0.05; done
exit 1
SH
if want nginx-binary; then
  result[nginx binary]=$(probe "nginx binary upgrade" $NGINX_BIN "bash $work/nginx-binary-upgrade.sh")
  echo "${result[nginx binary]}"
  grep -v '\[notice\]\|\[info\]' "$work/binary.err" | tail -5 >&2 || true
  cat "$work/binary.failures" >&2 2>/dev/null || true
fi

# ---- HAProxy: a new process takes the listeners over its stats socket (-x), the old one finishes ----
cat > "$work/haproxy.cfg" <<CONF
global
  maxconn 8000
  nbthread 1
  stats socket $work/haproxy.sock mode 600 level admin expose-fd listeners
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
CONF
haproxy -f "$work/haproxy.cfg" -db -q & echo $! > "$work/haproxy.pid"
wait_port $HAPROXY
cat > "$work/haproxy-reload.sh" <<SH
. $work/serving.sh
t0=\$(date +%s%N)
gone() { [ ! -e "/proc/\$1" ] || awk '{ exit !(\$3 == "Z") }' "/proc/\$1/stat" 2>/dev/null; }
old=\$(cat $work/haproxy.pid)
haproxy -f $work/haproxy.cfg -db -q -x $work/haproxy.sock -sf \$old >/dev/null 2>&1 &
new=\$!
echo \$new > $work/haproxy.pid
for _ in \$(seq 1 2000); do holds $HAPROXY \$new && { since \$t0 >> $work/served.txt; break; }; sleep 0.005; done
for _ in \$(seq 1 600); do gone \$old && exit 0; sleep 0.05; done
exit 1
SH
if want haproxy; then
  result[haproxy]=$(probe "haproxy -x" $HAPROXY "bash $work/haproxy-reload.sh")
  echo "${result[haproxy]}"
fi
if want floor; then
  result[floor haproxy]=$(probe "floor: HAProxy, no upgrade" $HAPROXY "sleep 0.3")
  echo "${result[floor haproxy]}"
fi

# ---- the table ----
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
{
  echo "| upgrading the proxy under load ($UPGRADES upgrades, 4 keep-alive + 4 new-connection clients; beside them wrk -c8) | requests | failed | refused | cut (reset or closed before the answer) | timed out | longest gap between answers, ms | until the new process serves, ms (median) | one upgrade command, ms (median) | wrk requests | wrk lost (read/write errors, timeouts, non-2xx) | wrk refused |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for k in "${!result[@]}"; do
    r=${result[$k]}
    echo "| $(field "$r" name | tr _ ' ') | $(field "$r" requests) | $(field "$r" failed) | $(field "$r" refused) | $(field "$r" cut) | $(field "$r" timeouts) | $(field "$r" longest_gap_ms) | $(field "$r" serve_ms) | $(field "$r" upgrade_ms) | $(field "$r" wrk_requests) | $(field "$r" wrk_lost) | $(field "$r" wrk_connect) |"
  done | sort
  echo
  echo "floor: the same clients, load and pauses with no upgrade (the command only sleeps, 3 s for cutover, 0.3 s for HAProxy, about as long as their upgrades): the longest gap the loaded machine gives with nothing happening."
  echo
  echo "$(nproc) cores shared by the clients, the proxies and the backend; $(uname -sr); $(java -version 2>&1 | head -1); $(nginx -v 2>&1); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(date -u +%Y-%m-%dT%H:%MZ)"
} > "$out/upgrade.md"
if [ -n "$UPGRADE_RAW" ]; then for k in "${!result[@]}"; do echo "${result[$k]}" | tr '\n' ' '; echo; done > "$UPGRADE_RAW"; fi
echo; cat "$out/upgrade.md"
