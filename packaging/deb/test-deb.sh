#!/usr/bin/env bash
# CI check of the Debian package (bin/test runs it after the Maven suite; needs root, python3,
# curl, unzip). On this machine, all on loopback; about two minutes:
#  1. builds the package from control/target/cutover.jar (version A), and A+1 and A+2: the same
#     files repacked with higher versions (what an upgrade does on disk is the same: new files);
#  2. installs A: the cutover user owning /var/lib/cutover, the conffile, the units installed
#     and neither enabled nor started; `cutover --version` from /usr/bin;
#  3. `cutover serve` from /usr/bin as the cutover user (with the package's config), in front of
#     a small app, serves it;
#  4. upgrades to A+1 under keep-alive load: the postinst runs `cutover upgrade`, a new process
#     from the new files takes over, the old one exits, and no request failed;
#     then one to A+2 with the app down: cutover refuses it, serves on, the package is installed;
#  5. `dpkg -r` leaves nothing of cutover running and keeps the state; `dpkg --purge` removes it.
# Whatever fails, it stops what it started (by pid), purges the package and removes the cutover
# user it made. Every wait has a deadline. Prints how long each step took.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
jar=/usr/lib/cutover/lib/cutover.jar
state=/var/lib/cutover
t0=$(date +%s)
step() { echo "test-deb: [$(($(date +%s) - t0)) s] $*"; }
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (it installs the package): sudo $0"
for tool in python3 curl setpriv dpkg-deb; do
  command -v $tool >/dev/null || fail "$tool is missing"
done
# one run at a time on this machine (a second one waits for the first, at most 10 minutes)
exec 9>/run/lock/cutover-test-deb.lock
flock -w 600 9 || fail "another run of this check holds /run/lock/cutover-test-deb.lock"
if dpkg-query -W -f='${Status}' cutover 2>/dev/null | grep -q 'installed\|config-files'; then
  fail "the cutover package is installed on this machine; this check installs and purges it, so it does not run here"
fi
for path in "$state" /etc/cutover; do
  [ ! -e "$path" ] || fail "$path exists; this check would use and remove it, so it does not run here"
done
user_was_there=false
getent passwd cutover >/dev/null && user_was_there=true

work=$(mktemp -d /tmp/cutover-test-deb.XXXXXX)
pids=()        # what this check started (and the new cutover of the upgrade), stopped by pid
cleanup() {
  local rc=$?
  set +e
  touch "$work/stop-load"
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  if dpkg-query -W -f='${Status}' cutover 2>/dev/null | grep -q 'installed\|config-files\|half'; then
    timeout 300 dpkg --purge cutover >/dev/null 2>&1 || echo "test-deb: could not purge cutover: dpkg --purge cutover" >&2
  fi
  if ! $user_was_there && getent passwd cutover >/dev/null; then
    deluser --system --quiet cutover >/dev/null 2>&1 || userdel cutover
    getent group cutover >/dev/null && groupdel cutover 2>/dev/null
  fi
  if [ $rc -ne 0 ]; then
    for log in "$work"/*.log; do
      [ -s "$log" ] && { echo "--- $log (last 30 lines)"; tail -30 "$log"; }
    done >&2
  fi
  rm -rf "$work"
  echo "test-deb: $([ $rc -eq 0 ] && echo passed || echo failed) in $(($(date +%s) - t0)) s"
}
trap cleanup EXIT

# until COMMAND succeeds, at most SECONDS
until_ok() {
  local seconds=$1 end
  shift
  end=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
get() { curl -sS --max-time 10 "$@"; }
# gone, or a zombie waiting for this shell
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]; }
running_from_package() {
  local f pid
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    tr '\0' '\n' 2>/dev/null < "$f" | grep -qxF "$jar" && echo "$pid"
  done
  return 0
}

# 1. build
"$here/build-deb.sh" --out "$work" | tee "$work/build.log"
a=$(ls "$work"/cutover_*.deb)
version=$(dpkg-deb -f "$a" Version)
dpkg-deb -R "$a" "$work/repack"
sed -i "s/^Version: .*/Version: ${version}+ci1/" "$work/repack/DEBIAN/control"
b="$work/cutover_${version}+ci1.deb"
dpkg-deb --build -Zgzip --root-owner-group "$work/repack" "$b" >/dev/null
sed -i "s/^Version: .*/Version: ${version}+ci2/" "$work/repack/DEBIAN/control"
c="$work/cutover_${version}+ci2.deb"
dpkg-deb --build -Zgzip --root-owner-group "$work/repack" "$c" >/dev/null
rm -rf "$work/repack"
dpkg --compare-versions "${version}+ci1" gt "$version" || fail "${version}+ci1 does not sort after $version"
step "built $(basename "$a") ($(du -h "$a" | cut -f1)), and $(basename "$b") and $(basename "$c") from it"

# 2. install A
timeout 300 dpkg -i "$a" > "$work/install.log" 2>&1 || fail "dpkg -i $(basename "$a"): $(cat "$work/install.log")"
[ "$(readlink -f /usr/bin/cutover)" = /usr/lib/cutover/bin/cutover ] || fail "/usr/bin/cutover is not the package's"
[ "$(getent passwd cutover | cut -d: -f3)" -lt 1000 ] || fail "cutover is not a system user"
[ "$(stat -c '%U:%G %a' "$state")" = "cutover:cutover 750" ] || fail "$state is $(stat -c '%U:%G %a' "$state"), not cutover:cutover 750"
[ "$(stat -c '%U:%G %a' /etc/cutover/cutover.conf)" = "root:cutover 640" ] || fail "cutover.conf is $(stat -c '%U:%G %a' /etc/cutover/cutover.conf)"
dpkg-query -W -f='${Conffiles}\n' cutover | grep -q '^ /etc/cutover/cutover.conf ' || fail "cutover.conf is not a conffile"
for unit in cutover.socket cutover.service; do
  [ -f "/lib/systemd/system/$unit" ] || fail "$unit is not installed"
done
grep -qx 'User=cutover' /lib/systemd/system/cutover.service &&
  grep -qx 'ExecStart=/usr/bin/cutover serve --config /etc/cutover/cutover.conf' /lib/systemd/system/cutover.service ||
  fail "the installed cutover.service does not run /usr/bin/cutover as the cutover user"
enabled=$(find /etc/systemd/system -name 'cutover.*' 2>/dev/null)
[ -z "$enabled" ] || fail "the install enabled units: $enabled"
[ -z "$(running_from_package)" ] || fail "the install started cutover: pid $(running_from_package)"
if command -v systemd-analyze >/dev/null; then
  said=$(cd /lib/systemd/system && timeout 60 systemd-analyze verify cutover.socket cutover.service 2>&1) || true
  [ -z "$said" ] || fail "systemd-analyze verify of the installed units: $said"
fi
said=$(timeout 60 cutover --version) || fail "cutover --version failed: $said"
project=$(unzip -p "$jar" META-INF/maven/io.cutover/cutover-control/pom.properties | sed -n 's/^version=//p' | tr -d '\r')
[ "$said" = "cutover $project" ] || fail "cutover --version says '$said', the project is $project"
# the class-data archive the postinst made, and cutover loading its classes from it
[ -s /usr/lib/cutover/lib/cutover.jsa ] || fail "the postinst made no class-data archive: $(cat "$work/install.log")"
shared=$(CUTOVER_JAVA_OPTS=-Xlog:class+load timeout 60 cutover --version | grep -c 'source: shared objects file') || true
[ "${shared:-0}" -gt 500 ] || fail "cutover --version loaded ${shared:-0} classes from the class-data archive"
step "installed $version: $said ($shared classes from the archive, $(du -h /usr/lib/cutover/lib/cutover.jsa | cut -f1)); the cutover user owns $state; units installed, not enabled, nothing started"

# 3. serve, as the cutover user, in front of a small app
app_port=$(free_port)
mkdir -p "$work/www"
echo "the app" > "$work/www/index.html"
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$app_port" > "$work/app.log" 2>&1 &
app=$!
pids+=("$app")
until_ok 30 get "http://127.0.0.1:$app_port/" || fail "the test app did not answer on 127.0.0.1:$app_port"
listen=$(free_port)
admin=$(free_port)
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  setpriv --reuid=cutover --regid=cutover --init-groups \
  /usr/bin/cutover serve --config /etc/cutover/cutover.conf --listen "127.0.0.1:$listen" \
  --admin "127.0.0.1:$admin" --target "127.0.0.1:$app_port" > "$work/serve.log" 2>&1 < /dev/null &
old=$!
pids+=("$old")
until_ok 60 get "http://127.0.0.1:$listen/" || fail "cutover serve did not serve on 127.0.0.1:$listen"
[ "$(get "http://127.0.0.1:$listen/")" = "the app" ] || fail "cutover did not answer with the app's page"
[ "$(stat -c %U "/proc/$old")" = cutover ] || fail "cutover serve does not run as the cutover user"
[ -S "$state/admin.sock" ] || fail "no admin socket at $state/admin.sock (the package's config names it)"
timeout 60 cutover status --admin "unix:$state/admin.sock" > "$work/status.log" 2>&1 || fail "cutover status as root failed"
step "cutover serve (pid $old, user cutover) serves the app on 127.0.0.1:$listen"

# 4. upgrade to A+1 under keep-alive load
python3 "$here/keepalive-load.py" "$listen" 4 "$work/stop-load" 300 5000000 > "$work/load.log" 2>&1 &
load=$!
pids+=("$load")
sleep 2
timeout 400 dpkg -i "$b" > "$work/upgrade.log" 2>&1 || fail "dpkg -i $(basename "$b") (the upgrade): $(cat "$work/upgrade.log")"
new=$(sed -n 's/^upgraded: pid \([0-9]*\) took over from pid \([0-9]*\).*/\1/p' "$work/upgrade.log")
[ -n "$new" ] || fail "the upgrade did not run cutover upgrade: $(cat "$work/upgrade.log")"
pids+=("$new")
grep -q "took over from pid $old" "$work/upgrade.log" || fail "the upgrade replaced another process than $old: $(cat "$work/upgrade.log")"
until_ok 120 gone "$old" || fail "the old cutover (pid $old) did not exit after the upgrade"
kill -0 "$new" 2>/dev/null || fail "the new cutover (pid $new) is not running"
exe=$(readlink "/proc/$new/exe")
case "$exe" in
  /usr/lib/cutover/runtime/bin/java) ;;
  *) fail "the new cutover runs $exe, not the runtime the upgrade installed" ;;
esac
[ "$(stat -c %U "/proc/$new")" = cutover ] || fail "the new cutover does not run as the cutover user"
sleep 2    # the load goes on against the new process alone
touch "$work/stop-load"
wait "$load" || fail "requests failed during the upgrade: $(cat "$work/load.log")"
[ "$(get "http://127.0.0.1:$listen/")" = "the app" ] || fail "the new cutover does not serve the app"
step "upgraded to ${version}+ci1 under load: pid $new took over from pid $old, which exited; $(cat "$work/load.log")"
grep '^cutover\|^upgraded' "$work/upgrade.log" | sed 's/^/  dpkg -i: /'

# an upgrade cutover refuses (the app's active version is down: the new process fails its health
# check) leaves the running one serving, and the package installed
kill "$app"
until_ok 30 gone "$app" || fail "the test app (pid $app) did not stop"
timeout 400 dpkg -i "$c" > "$work/refused.log" 2>&1 || fail "dpkg -i $(basename "$c") failed where cutover refused the upgrade: $(cat "$work/refused.log")"
grep -q 'was not upgraded and serves on' "$work/refused.log" || fail "the postinst did not say the upgrade failed: $(cat "$work/refused.log")"
kill -0 "$new" 2>/dev/null || fail "the running cutover (pid $new) stopped when its upgrade failed"
timeout 60 cutover status --admin "unix:$state/admin.sock" > "$work/status.log" 2>&1 || fail "cutover (pid $new) does not answer after its upgrade failed"
[ "$(dpkg-query -W -f='${Version} ${Status}' cutover)" = "${version}+ci2 install ok installed" ] || fail "${version}+ci2 is not installed"
step "an upgrade to ${version}+ci2 with the app down: refused, pid $new serves on, the package is installed"
grep '^cutover' "$work/refused.log" | sed 's/^/  dpkg -i: /'

# 5. remove, then purge
timeout 300 dpkg -r cutover > "$work/remove.log" 2>&1 || fail "dpkg -r cutover: $(cat "$work/remove.log")"
left=$(running_from_package)
[ -z "$left" ] || fail "cutover still runs after dpkg -r: pid $left"
! kill -0 "$new" 2>/dev/null || fail "the new cutover (pid $new) still runs after dpkg -r"
[ ! -e /usr/bin/cutover ] || fail "/usr/bin/cutover is still there after dpkg -r"
[ ! -e /usr/lib/cutover ] || fail "dpkg -r left $(find /usr/lib/cutover | head -5)"
[ -d "$state" ] && [ -f /etc/cutover/cutover.conf ] || fail "dpkg -r removed the state or the config"
step "removed: nothing of cutover runs; $state and /etc/cutover/cutover.conf kept"
timeout 300 dpkg --purge cutover > "$work/purge.log" 2>&1 || fail "dpkg --purge cutover: $(cat "$work/purge.log")"
[ ! -e "$state" ] && [ ! -e /etc/cutover ] || fail "dpkg --purge left $state or /etc/cutover"
links=$(find /etc/systemd/system -name 'cutover.*' 2>/dev/null)
[ -z "$links" ] || fail "dpkg --purge left unit links (a removal masks the units, a purge unmasks them): $links"
step "purged: $state, /etc/cutover and the units' links removed"
