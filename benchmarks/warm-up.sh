#!/usr/bin/env bash
# Warm-up of a JVM app, measured: a small JSON web app (benchmarks/warm-up/JsonApp.java, plain JDK
# HTTP server with Jackson) deployed by cutover's process runtime under steady load, in turns
# without and with `--warm-up`; for each new version, the latency its clients saw in the first
# 5 s after the flip (from its first answer), p50/p99/max, side by side, and the p99 ratio.
#
#   benchmarks/warm-up.sh                  # 2 rounds, --warm-up 3000
#   ROUNDS=3 WARM_UP=20s benchmarks/warm-up.sh
#
# Load: benchmarks/warm-up/WarmUpLoad.java, THREADS clients (4) each sending one GET every
# PACE_MS (10 ms): at most 400 requests/s, to 127.0.0.1 only, for at most a few minutes; it stops
# when the deploys are done. Needs the cutover jar (built if missing: ./mvnw package -DskipTests,
# or MVN=... to build another way). Stops everything it started, by pid.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ROUNDS=${ROUNDS:-2}
WARM_UP=${WARM_UP:-3000}
THREADS=${THREADS:-4}
PACE_MS=${PACE_MS:-10}
PROXY=18941; ADMIN=18942; BLUE=18943; GREEN=18944
jar=$root/control/target/cutover.jar

for p in $PROXY $ADMIN $BLUE $GREEN; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done
if [ ! -f "$jar" ]; then
  echo "building cutover..."
  (cd "$root" && ${MVN:-./mvnw -B} -q package -DskipTests >/dev/null)
fi
work=$(mktemp -d /tmp/cutover-warm-up.XXXXXX)
pids=()
cleanup() {
  # the app's versions outlive cutover (by design): stop those it started, by the pids in its state
  for p in $(grep -o '"handle" *: *"[0-9]*"' "$work/state/jsonapp.json" 2>/dev/null | grep -o '[0-9]*"$' | tr -d '"'); do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/app" "$work/load" "$work/state"
javac -d "$work/app" -cp "$jar" "$here/warm-up/JsonApp.java"
javac -d "$work/load" "$here/warm-up/WarmUpLoad.java"
cat > "$work/cutover.conf" <<CONF
cutover {
  listen = "127.0.0.1:$PROXY"
  admin = "127.0.0.1:$ADMIN"
  state-dir = "$work/state"
  health { path = "/health", interval = 50ms, deadline = 60s }
  drain.deadline = 5s
  app {
    name = jsonapp
    runtime = process
    ports = [$BLUE, $GREEN]
    command = ["java", "-Xmx128m", "-XX:+UseSerialGC", "-cp", "$work/app:$jar", "JsonApp"]
    stop-timeout = 5s
  }
}
CONF
"$root/bin/cutover" serve --config "$work/cutover.conf" >"$work/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/$ADMIN) 2>/dev/null && break; sleep 0.1; done
cli() { "$root/bin/cutover" "$@" --admin 127.0.0.1:$ADMIN --state-dir "$work/state"; }

deploy() { # version [warm-up] -> the deploy's output in $work/deploy-VERSION.txt
  local extra=()
  [ -n "${2:-}" ] && extra=(--warm-up "$2")
  cli deploy --env VERSION="$1" --release "$1" "${extra[@]}" > "$work/deploy-$1.txt" 2>&1 \
    || { echo "deploy of $1 failed:" >&2; cat "$work/deploy-$1.txt" >&2; exit 1; }
}

echo "deploying v1 (no load yet)..."
deploy v1
load_seconds=$(( 60 + ROUNDS * 90 ))
java -cp "$work/load" WarmUpLoad $PROXY "$THREADS" "$PACE_MS" $load_seconds "$work/stop" "$work/requests.txt" & load=$!
pids+=($load)
sleep 10       # v1 warms up under the load
kinds=()
n=1
for r in $(seq 1 "$ROUNDS"); do
  n=$((n + 1)); echo "round $r: v$n without warm-up..."; deploy "v$n"; kinds+=("v$n off"); sleep 10
  n=$((n + 1)); echo "round $r: v$n with --warm-up $WARM_UP..."; deploy "v$n" "$WARM_UP"; kinds+=("v$n $WARM_UP"); sleep 10
done
touch "$work/stop"
wait $load

# the first 5 s of each version: from its first answer
first5() { # version -> "count p50 p99 max" (ms)
  awk -v v="$1" '$3 == v { print }' "$work/requests.txt" | sort -n -k1,1 > "$work/v.txt"
  local first; first=$(head -1 "$work/v.txt" | cut -d' ' -f1)
  awk -v f="$first" '$1 <= f + 5000 { print $2 }' "$work/v.txt" | sort -n > "$work/lat.txt"
  awk '{ a[NR] = $1 } END {
         if (NR == 0) { print "0 - - -"; exit }
         p50 = a[int(NR * 0.50 + 0.999)]; p99 = a[int(NR * 0.99 + 0.999)]
         printf "%d %.1f %.1f %.1f\n", NR, p50 / 1000, p99 / 1000, a[NR] / 1000 }' "$work/lat.txt"
}
echo
echo "JsonApp (JDK $(java -version 2>&1 | head -1 | cut -d'"' -f2)), $THREADS clients at most $((THREADS * 1000 / PACE_MS)) req/s; first 5 s of each new version after the flip:"
printf "%-8s %-10s %9s %9s %9s %9s\n" version warm-up requests "p50 ms" "p99 ms" "max ms"
cold=(); warm=()
for k in "${kinds[@]}"; do
  set -- $k
  read -r cnt p50 p99 max <<<"$(first5 "$1")"
  printf "%-8s %-10s %9s %9s %9s %9s\n" "$1" "$2" "$cnt" "$p50" "$p99" "$max"
  if [ "$2" = off ]; then cold+=("$p99"); else warm+=("$p99"); fi
done
echo
for i in "${!cold[@]}"; do
  awk -v c="${cold[$i]}" -v w="${warm[$i]}" -v r=$((i + 1)) \
    'BEGIN { printf "round %d: p99 without warm-up / with: %.1f / %.1f ms = %.1fx\n", r, c, w, (w > 0 ? c / w : 0) }'
done
failed=$(awk '$4 == 0 || $4 >= 500' "$work/requests.txt" | wc -l)
echo "requests: $(wc -l < "$work/requests.txt"), failed (5xx or no answer): $failed"
echo
echo "warm-up steps:"
grep -h "warm-up" "$work"/deploy-v*.txt | sed 's/^/  /' || true
