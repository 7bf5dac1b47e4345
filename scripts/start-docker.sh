#!/usr/bin/env bash
# Start (or reuse) a private Docker engine for workflowcore's Docker tests and benchmarks,
# with offline images under the names CircleCI configs use.
#
#   eval "$(bash scripts/start-docker.sh)"   # prints: export DOCKER_HOST=unix://...
#   bash scripts/start-docker.sh stop        # stop that engine (its data stays in $BASE)
#
# Idempotent and quiet: stdout carries only the export line; missing packages are installed
# with apt-get (Debian/Ubuntu, as root) only when asked: WFC_INSTALL_PACKAGES=1 (which
# scripts/test.sh sets in CI); otherwise the script says what is missing and fails. A
# running engine is reused.
#
# Why it looks like this:
#  * its own data-root, exec-root and socket under $WFC_DOCKER_BASE (default /tmp/wfc-docker),
#    so it never touches a system dockerd or the user's images (the aliases below would
#    shadow real ones), and `rm -rf` removes every trace;
#  * --bridge=none --iptables=false: no docker0 bridge, no NAT rules; containers only have
#    loopback, which is all the tests need (service containers share the primary's network
#    namespace, exactly as the Docker executor starts them);
#  * the images are `docker import`ed from a static busybox (no registry needed): /tmp is
#    sticky and world-writable and there is a `circleci` user (uid 1000, HOME
#    /home/circleci) like in CircleCI's convenience images. wfc/busybox:local has only sh
#    (tagged alpine:latest, busybox:latest); wfc/bash:local adds a static bash (tagged
#    cimg/base:stable, buildpack-deps:jessie, which have bash for real), so both shell
#    defaults are exercised and `pull='never'` works offline.
set -euo pipefail

BASE=${WFC_DOCKER_BASE:-/tmp/wfc-docker}
SOCK="unix://$BASE/docker.sock"
export DOCKER_HOST="$SOCK"
IMAGE_VERSION=2   # bump when the rootfs below changes: older images are rebuilt
# image → the names it also answers to (bash where the real image has bash)
SH_IMAGE=wfc/busybox:local;   SH_ALIASES="alpine:latest busybox:latest"
BASH_IMAGE=wfc/bash:local;    BASH_ALIASES="cimg/base:stable buildpack-deps:jessie"

say() { echo "start-docker: $*" >&2; }
die() { say "$*"; exit 1; }

if [ "${1:-}" = stop ]; then
  if [ -f "$BASE/dockerd.pid" ] && kill "$(cat "$BASE/dockerd.pid")" 2>/dev/null; then
    for _ in $(seq 1 80); do [ -S "$BASE/docker.sock" ] || break; sleep 0.25; done
    say "stopped the engine at $SOCK"
  else
    say "no engine running at $SOCK"
  fi
  exit 0
fi

# -- packages (only what is missing) ------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 || need+=(docker.io)
if ! [ -x /bin/busybox ] || ! { installed busybox-static || [ -n "${WFC_BUSYBOX:-}" ]; }; then
  need+=(busybox-static)
fi
[ -x /bin/bash-static ] || [ -n "${WFC_BASH:-}" ] || need+=(bash-static)
if [ "${#need[@]}" -gt 0 ]; then
  [ "${WFC_INSTALL_PACKAGES:-}" = 1 ] || die "missing ${need[*]}: install them, or set \
WFC_INSTALL_PACKAGES=1 to let this script apt-get install them"
  command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and no apt-get to install them"
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}: run as root (or install them) first"
  apt-get update -qq >/dev/null 2>&1 || say "apt-get update failed; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null 2>&1 || die "apt-get install ${need[*]} failed"
fi
BUSYBOX=${WFC_BUSYBOX:-/bin/busybox}
BASH_STATIC=${WFC_BASH:-/bin/bash-static}

# -- the engine ---------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "starting a private dockerd needs root (or set DOCKER_HOST to a \
running engine and skip this script)"
  mkdir -p "$BASE"
  if [ -f "$BASE/dockerd.pid" ] && ! kill -0 "$(cat "$BASE/dockerd.pid")" 2>/dev/null; then
    rm -f "$BASE/dockerd.pid" "$BASE/docker.sock"   # left by a killed daemon
  fi
  setsid dockerd --data-root "$BASE/data" --exec-root "$BASE/exec" \
    --pidfile "$BASE/dockerd.pid" -H "$SOCK" \
    --bridge=none --iptables=false --ip-masq=false \
    </dev/null >"$BASE/dockerd.log" 2>&1 &
  for _ in $(seq 1 160); do
    docker info >/dev/null 2>&1 && break
    sleep 0.25
  done
  docker info >/dev/null 2>&1 || { tail -20 "$BASE/dockerd.log" >&2; die "dockerd did not start"; }
fi

# -- the images ---------------------------------------------------------------------------
version_of() {
  docker image inspect -f '{{index .Config.Labels "workflowcore.image"}}' "$1" 2>/dev/null || true
}
make_image() {  # make_image NAME WITH_BASH(0|1)
  local root
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,etc,root,proc,sys,dev,home/circleci,usr/bin,usr/local/bin}
  install -d -m 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  if [ "$2" = 1 ]; then cp "$BASH_STATIC" "$root/bin/bash"; fi
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'circleci:x:1000:1000:circleci:/home/circleci:/bin/sh' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'circleci:x:1000:' >"$root/etc/group"
  chown 1000:1000 "$root/home/circleci"
  tar -C "$root" --numeric-owner -c . | docker import \
    -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c "LABEL workflowcore.image=$IMAGE_VERSION" - "$1" >/dev/null
  rm -rf "$root"
}
tag_all() {  # tag_all IMAGE ALIASES...
  local want alias image=$1
  shift
  want=$(docker image inspect -f '{{.Id}}' "$image")
  for alias in "$@"; do
    [ "$(docker image inspect -f '{{.Id}}' "$alias" 2>/dev/null || true)" = "$want" ] ||
      docker tag "$image" "$alias"
  done
}
[ "$(version_of "$SH_IMAGE")" = "$IMAGE_VERSION" ] || make_image "$SH_IMAGE" 0
[ "$(version_of "$BASH_IMAGE")" = "$IMAGE_VERSION" ] || make_image "$BASH_IMAGE" 1
# shellcheck disable=SC2086 # word lists
tag_all "$SH_IMAGE" $SH_ALIASES
# shellcheck disable=SC2086
tag_all "$BASH_IMAGE" $BASH_ALIASES

docker run --rm --network none "$BASH_IMAGE" bash -c true >/dev/null || die "the engine cannot run containers"
echo "export DOCKER_HOST=$SOCK"
