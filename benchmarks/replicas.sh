#!/usr/bin/env bash
# What balancing over replicas costs: the proxy in front of one target, side by side with the
# proxy in front of the same backend program as 4 replicas (4 listeners of one nginx worker
# answering a 1-byte body, the backend compare.sh uses), under keep-alive load (wrk -t2 -c64),
# rounds alternating between the two. Prints each round's requests/s and the ratio
# (4 replicas / 1 target), then the median ratio. Loopback only; bounded (about
# 2 * (WARMUP + ROUNDS * DURATION) seconds, plus a build if needed); stops what it started, by pid.
#
#   benchmarks/replicas.sh
#   ROUNDS=3 DURATION=10 CONNECTIONS=64 REPLICAS=4 benchmarks/replicas.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-64}
REPLICAS=${REPLICAS:-4}
ONE=18921; MANY=18922; FIRST_BACKEND=18931

for tool in nginx wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install $tool)" >&2; exit 1; }
done
if [ ! -f "$root/benchmarks/target/benchmarks.jar" ]; then
  (cd "$root" && ./mvnw -B -q -pl benchmarks -am package -DskipTests)
fi
ports=(); for i in $(seq 0 $((REPLICAS - 1))); do ports+=($((FIRST_BACKEND + i))); done
for p in $ONE $MANY "${ports[@]}"; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done

work=$(mktemp -d /tmp/cutover-replicas.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

# ---- the backend: one nginx worker, one listener per replica, each answering "A" ----
{
  echo "worker_processes 1; worker_rlimit_nofile 65536; pid $work/backend.pid; error_log $work/backend.err warn;"
  echo "events { worker_connections 30000; }"
  echo "http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;"
  for p in "${ports[@]}"; do echo "  server { listen 127.0.0.1:$p backlog=4096; location / { return 200 \"A\"; } }"; done
  echo "}"
} > "$work/backend.conf"
nginx -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)

# ---- the two proxies: the same program, one target against all the replicas ----
lifetime=$(( 2 * (WARMUP + ROUNDS * DURATION) + 60 ))
all=$(printf '127.0.0.1:%s,' "${ports[@]}"); all=${all%,}
java -cp "$root/benchmarks/target/benchmarks.jar" io.cutover.bench.ReplicaProxy $ONE "127.0.0.1:${ports[0]}" $lifetime \
  > "$work/one.log" 2>&1 & pids+=($!)
java -cp "$root/benchmarks/target/benchmarks.jar" io.cutover.bench.ReplicaProxy $MANY "$all" $lifetime \
  > "$work/many.log" 2>&1 & pids+=($!)
for p in "${ports[@]}" $ONE $MANY; do wait_port "$p"; done

rps() { # port seconds -> requests/s (fails the run on socket errors or non-2xx answers)
  wrk -t2 -c"$CONNECTIONS" -d"$2"s "http://127.0.0.1:$1/" > "$work/wrk.txt"
  if grep -q -E "Socket errors|Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; echo "errors under load" >&2; exit 1; fi
  awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt"
}
echo "warming up ($WARMUP s each)..."
rps $ONE "$WARMUP" >/dev/null
rps $MANY "$WARMUP" >/dev/null

echo "| round | 1 target (req/s) | $REPLICAS replicas (req/s) | $REPLICAS replicas / 1 target |"
echo "|---|---|---|---|"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  # alternate which goes first, so that neither always runs on a warmer machine
  if [ $((r % 2)) -eq 1 ]; then one=$(rps $ONE "$DURATION"); many=$(rps $MANY "$DURATION")
  else many=$(rps $MANY "$DURATION"); one=$(rps $ONE "$DURATION"); fi
  ratio=$(awk -v a="$many" -v b="$one" 'BEGIN { printf "%.3f", a / b }')
  ratios+=("$ratio")
  echo "| $r | $one | $many | $ratio |"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo
echo "median ratio ($REPLICAS replicas / 1 target): $median"
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s keep-alive on loopback; $(nproc) cores shared by wrk, the proxy and the backend"
