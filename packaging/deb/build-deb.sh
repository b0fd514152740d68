#!/usr/bin/env bash
# Builds cutover's Debian package from the jar that `./mvnw package` makes (control/target/cutover.jar):
#  - a Java runtime made with jlink from the building JDK (the modules the jar needs, per jdeps),
#    so the server needs no JDK (no JDK class-data archive: 12 MB for 0.05 s less per command;
#    the postinst makes one of cutover's classes and the JDK's they use, from the class list
#    beside the jar, at the jar's installed path, which the archive is bound to);
#  - /usr/lib/cutover/{bin/cutover,lib/cutover.jar,runtime}, and /usr/bin/cutover (bin/cutover,
#    which runs the package's runtime when it finds it beside itself);
#  - the systemd units of examples/systemd (installed, not enabled, not started; running as the
#    cutover user, ExecStart /usr/bin/cutover), /etc/cutover/cutover.conf (a conffile), and the
#    maintainer scripts beside this file (the cutover system user, its /var/lib/cutover; an
#    upgrade runs `cutover upgrade` when cutover is running; a removal stops it).
# `./mvnw -B -P deb package -DskipTests` runs it after the jar is made (see control/pom.xml).
#
#   packaging/deb/build-deb.sh [--jar JAR] [--out DIR] [--version DEBIAN_VERSION]
#
# The version defaults to the project version the jar was built as (0.1.0-SNAPSHOT becomes
# 0.1.0~SNAPSHOT, which sorts before 0.1.0). The JDK: $JAVA_HOME, else that of javac on the PATH;
# 17 or newer (the runtime in the package is this JDK's). Prints where the package is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

jar="$top/control/target/cutover.jar"
out="$top/control/target"
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) echo "build-deb: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
[ -f "$jar" ] || { echo "build-deb: $jar is missing; build it first: ./mvnw -B -q package -DskipTests" >&2; exit 1; }
for tool in dpkg-deb unzip; do
  command -v $tool >/dev/null || { echo "build-deb: $tool is missing (apt-get install -y dpkg unzip)" >&2; exit 1; }
done

jdk=${JAVA_HOME:-}
if [ -z "$jdk" ]; then
  javac=$(command -v javac) || { echo "build-deb: no JDK: set JAVA_HOME or put javac on the PATH" >&2; exit 1; }
  jdk=$(dirname "$(dirname "$(readlink -f "$javac")")")
fi
[ -x "$jdk/bin/jlink" ] || { echo "build-deb: $jdk has no jlink; set JAVA_HOME to a JDK 17 or newer" >&2; exit 1; }
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release")
[ "${feature:-0}" -ge 17 ] || { echo "build-deb: $jdk is Java ${feature:-?}; cutover needs 17 or newer" >&2; exit 1; }
[ "$feature" -eq 17 ] || echo "build-deb: note: the runtime will be Java $feature; the tests run on 17 (JAVA_HOME picks the JDK)" >&2

if [ -z "$version" ]; then
  project=$(unzip -p "$jar" META-INF/maven/io.cutover/cutover-control/pom.properties | sed -n 's/^version=//p' | tr -d '\r')
  [ -n "$project" ] || { echo "build-deb: $jar names no project version" >&2; exit 1; }
  version=${project//-/\~}
fi
arch=$(dpkg --print-architecture)
work="$out/deb"
root="$work/root"
rm -rf "$work"
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/cutover/bin" "$root/usr/lib/cutover/lib" \
  "$root/lib/systemd/system" "$root/etc/cutover" "$root/usr/share/doc/cutover"
started=$(date +%s)

# the runtime: the modules the jar uses (jdeps), plus elliptic-curve TLS for HTTPS webhooks
modules=$("$jdk/bin/jdeps" --multi-release "$feature" --ignore-missing-deps --print-module-deps "$jar")
if "$jdk/bin/java" --list-modules | grep -q '^jdk.crypto.ec@'; then
  modules="$modules,jdk.crypto.ec"
fi
"$jdk/bin/jlink" --add-modules "$modules" --output "$root/usr/lib/cutover/runtime" \
  --strip-debug --no-header-files --no-man-pages --compress=2 2>&1 | grep -v 'compress.*deprecated' || true
[ -x "$root/usr/lib/cutover/runtime/bin/java" ] || { echo "build-deb: jlink made no runtime" >&2; exit 1; }

install -m 0644 "$jar" "$root/usr/lib/cutover/lib/cutover.jar"
# the classes a start and `cutover status` load, beside the jar (`./mvnw package` writes it): the
# postinst makes the class-data archive from it with the package's runtime, at the jar's final path
if [ -f "${jar%.jar}.classlist" ]; then
  install -m 0644 "${jar%.jar}.classlist" "$root/usr/lib/cutover/lib/cutover.classlist"
else
  echo "build-deb: note: ${jar%.jar}.classlist is missing (-Dcutover.archive.skip?): the package makes no class-data archive" >&2
fi
install -m 0755 "$top/bin/cutover" "$root/usr/lib/cutover/bin/cutover"
ln -s ../lib/cutover/bin/cutover "$root/usr/bin/cutover"
install -m 0644 "$here/cutover.conf" "$root/etc/cutover/cutover.conf"
install -m 0644 "$top/README.md" "$root/usr/share/doc/cutover/README.md"
unzip -p "$jar" reference.conf > "$root/usr/share/doc/cutover/reference.conf"
gzip -9n "$root/usr/share/doc/cutover/README.md" "$root/usr/share/doc/cutover/reference.conf"

# the example units, as the package runs them: /usr/bin/cutover, as the cutover user, whose state
# directory only it reads
sed -e 's|^ExecStart=/usr/local/bin/cutover |ExecStart=/usr/bin/cutover |' \
    -e 's|^\[Service\]$|[Service]\nUser=cutover\nGroup=cutover|' \
    -e 's|^StateDirectory=cutover$|&\nStateDirectoryMode=0750|' \
    "$top/examples/systemd/cutover.service" > "$root/lib/systemd/system/cutover.service"
grep -q '^ExecStart=/usr/bin/cutover serve ' "$root/lib/systemd/system/cutover.service" &&
  grep -q '^User=cutover$' "$root/lib/systemd/system/cutover.service" &&
  grep -q '^StateDirectoryMode=0750$' "$root/lib/systemd/system/cutover.service" ||
  { echo "build-deb: examples/systemd/cutover.service changed shape: its ExecStart, [Service] or StateDirectory was not found" >&2; exit 1; }
install -m 0644 "$top/examples/systemd/cutover.socket" "$root/lib/systemd/system/cutover.socket"
chmod 0644 "$root/lib/systemd/system/cutover.service"

for script in postinst prerm postrm; do
  install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done
echo /etc/cutover/cutover.conf > "$root/DEBIAN/conffiles"

# what the runtime's native libraries need from the system, as packages; those of java.desktop
# left out (the runtime runs headless: its Java classes are used, AWT's natives never load)
desktop="libawt.so libawt_headless.so libawt_xawt.so libfontmanager.so libjavajpeg.so libjawt.so libjsound.so
liblcms.so libmlib_image.so libsplashscreen.so"
system_packages() {
  local lib pkg
  find "$root/usr/lib/cutover/runtime" -type f \( -name '*.so' -o -path '*/bin/*' \) | while read -r f; do
    grep -qwF "$(basename "$f")" <<<"$desktop" || ldd "$f" 2>/dev/null || true
  done | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u | while read -r lib; do
    case "$lib" in "$root"/*) continue ;; esac
    # usr-merged systems: dpkg knows a library under the path its package ships it at
    pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || true)
    [ -n "$pkg" ] && echo "${pkg%%:*}" || echo "build-deb: no package has $lib, which the runtime needs" >&2
  done | sort -u | paste -sd, | sed 's/,/, /g'
}
depends=$(system_packages)
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: cutover
Version: $version
Architecture: $arch
Maintainer: cutover maintainers <cutover@users.noreply.github.com>
Installed-Size: $size
Depends: adduser, ${depends}
Section: net
Priority: optional
Homepage: https://github.com/cutover/cutover
Description: reverse proxy for zero-downtime deploys
 cutover sits in front of an app and switches its traffic from one version
 to the next with no failed request: health-gated switches, drains, canary
 releases, rollbacks, and deploys of Docker images or processes. This
 package brings its own Java runtime, systemd units (not enabled), and runs
 \`cutover upgrade\` on an upgrade while cutover serves, so the new version
 takes the listening sockets over with no gap.
CONTROL

deb="$out/cutover_${version}_${arch}.deb"
rm -f "$deb"
# gzip: every dpkg reads it; xz takes a minute more for 6% less
dpkg-deb --build -Zgzip --root-owner-group "$root" "$deb" >/dev/null
echo "build-deb: $deb ($(du -h "$deb" | cut -f1), $((size / 1024)) MB installed; runtime: Java $feature, modules $modules) in $(($(date +%s) - started)) s"
