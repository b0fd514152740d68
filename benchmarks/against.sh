#!/usr/bin/env bash
# This working tree's cutover beside an earlier one (a git ref), in one run, in front of the same
# fast backend (an nginx answering a 1-byte body), on loopback: keep-alive throughput and latency
# with wrk -t2 at 64 and at 1,000 connections, in interleaved rounds (so both see the same
# machine), medians and the spread of the rounds (the noise). For a change that must not cost
# speed (a restructure, say): the ratios should sit within the spread.
#
#   benchmarks/against.sh REF            # e.g. benchmarks/against.sh origin/main~5
#   ROUNDS=5 DURATION=8 benchmarks/against.sh REF
#   BASE=/path/to/a/built/checkout benchmarks/against.sh    # compare with a tree already built
#
# Builds REF in a temporary worktree unless BASE names one (and this tree if its jar is missing).
# Bounded (about ROUNDS x 4 x DURATION seconds, plus builds); stops everything it started, by pid.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
A=18921; BEFORE=18922; BEFORE_ADMIN=18923; AFTER=18924; AFTER_ADMIN=18925

for tool in nginx wrk; do
  command -v $tool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null; }
done
for p in $A $BEFORE $BEFORE_ADMIN $AFTER $AFTER_ADMIN; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use; stop what holds it" >&2; exit 1; fi
done
work=$(mktemp -d /tmp/cutover-against.XXXXXX)
pids=()
base_tree=${BASE:-}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -z "${BASE:-}" ] && [ -n "$base_tree" ]; then git -C "$root" worktree remove --force "$base_tree" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$base_tree" ]; then
  ref=${1:?"name a git ref to compare with (or set BASE)"}
  base_tree=$work/base
  git -C "$root" worktree add -q --detach "$base_tree" "$ref"
  echo "building $ref ($(git -C "$base_tree" rev-parse --short HEAD))..."
  (cd "$base_tree" && ./mvnw -B -q package -DskipTests >/dev/null)
fi
if [ ! -f "$root/control/target/cutover.jar" ]; then
  echo "building this tree..."
  (cd "$root" && ./mvnw -B -q package -DskipTests >/dev/null)
fi
before_rev=$(git -C "$base_tree" rev-parse --short HEAD 2>/dev/null || echo "$base_tree")
after_rev=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo "+changes")

cat > "$work/backend.conf" <<CONF
worker_processes 1; worker_rlimit_nofile 65536; pid $work/backend.pid; error_log $work/backend.err warn;
events { worker_connections 30000; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$A backlog=4096; location / { return 200 "A"; } } }
CONF
nginx -c "$work/backend.conf" -g 'daemon off;' & pids+=($!)
serve() { # tree port admin name
  mkdir -p "$work/$4"
  CUTOVER_STATE_DIR=$work/$4 "$1/bin/cutover" serve --listen 127.0.0.1:$2 --admin 127.0.0.1:$3 --target 127.0.0.1:$A \
    >"$work/$4.log" 2>&1 & pids+=($!)
}
serve "$base_tree" $BEFORE $BEFORE_ADMIN before
serve "$root" $AFTER $AFTER_ADMIN after
for p in $A $BEFORE $AFTER; do
  for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
  (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "nothing listens on $p" >&2; cat "$work"/*.log >&2; exit 1; }
done

wrk_run() { # port seconds connections -> "rps p99_ms errors"
  wrk -t2 -c"$3" -d"$2"s --latency "http://127.0.0.1:$1/" > "$work/wrk.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } /^ +99%/ { p99 = ms($2) } /Non-2xx|Socket errors/ { err = "errors" }
    END { printf "%s %.3f %s\n", rps, p99, (err == "" ? "0" : err) }' "$work/wrk.txt"
}
echo "warming up (5 s each)..."
for p in $BEFORE $AFTER; do wrk_run $p 5 64 >/dev/null; wrk_run $p 3 1000 >/dev/null; done
for c in 64 1000; do
  for r in $(seq 1 "$ROUNDS"); do
    # alternate who goes first, so neither always runs on a machine the other just warmed
    if [ $((r % 2)) -eq 1 ]; then order="before:$BEFORE after:$AFTER"; else order="after:$AFTER before:$BEFORE"; fi
    for pair in $order; do
      echo "${pair%%:*} $c $(wrk_run "${pair##*:}" "$DURATION" "$c")" >> "$work/rounds.txt"
    done
    echo "  -c$c round $r done"
  done
done

echo
echo "cutover $after_rev (this tree) against $before_rev, wrk -t2, $ROUNDS rounds of ${DURATION}s, medians (min-max of the rounds)"
echo
awk '
  function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t } }
  function med(a, n) { sort(a, n); return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
  { k = $1 " " $2; n[k]++; rps[k, n[k]] = $3; p99[k, n[k]] = $4; if ($5 != "0") err[k] = 1 }
  END {
    printf "| connections | measure | before | after | after / before |\n|---|---|---|---|---|\n"
    split("64 1000", cs, " ")
    for (ci = 1; ci <= 2; ci++) {
      c = cs[ci]
      for (m = 1; m <= 2; m++) {
        for (w = 1; w <= 2; w++) {
          who = (w == 1 ? "before" : "after"); k = who " " c; cnt = n[k]
          delete v; for (i = 1; i <= cnt; i++) v[i] = (m == 1 ? rps[k, i] : p99[k, i])
          md[w] = med(v, cnt); lo[w] = v[1]; hi[w] = v[cnt]
        }
        name = (m == 1 ? "requests/s" : "p99 ms")
        fmt = (m == 1 ? "%.0f (%.0f-%.0f)" : "%.2f (%.2f-%.2f)")
        printf "| %s | %s | " fmt " | " fmt " | %.3f |\n", c, name, md[1], lo[1], hi[1], md[2], lo[2], hi[2], md[2] / md[1]
      }
      if (err["before " c] || err["after " c]) printf "| %s | errors | %s | %s | |\n", c, err["before " c] ? "yes" : "0", err["after " c] ? "yes" : "0"
    }
  }' "$work/rounds.txt"
