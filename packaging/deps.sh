#!/bin/sh
# Installs the Debian packages logmetrics needs for a purpose, when missing.
# Usage: packaging/deps.sh [build] [test] [bench] [deb] ...
# Quiet when everything is there; idempotent; needs root only to install.
set -eu

build="gcc make pkg-config libc6-dev libpcre2-dev libmicrohttpd-dev
	libgnutls28-dev libinotifytools0-dev zlib1g-dev libyaml-dev libcrypt-dev
	libsystemd-dev libprotobuf-c-dev protobuf-c-compiler"
# ISA-L inflates .gz logs about 2.5 times as fast as zlib; Debian builds it
# for these architectures, and logmetrics builds without it elsewhere.
case "$(dpkg --print-architecture 2>/dev/null || true)" in
amd64|arm64) build="$build libisal-dev" ;;
esac
test="libcriterion-dev prometheus curl mandoc python3 python3-yaml clang
	libclang-rt-14-dev clang-format procps logrotate systemd openssl time
	systemd-journal-remote chromium"
bench="mtail time python3 g++ libsimdjson-dev"
deb="debhelper dpkg-dev fakeroot lintian systemd"

[ $# -gt 0 ] || set -- build
want=""
for group in "$@"; do
	case "$group" in
	build) want="$want $build" ;;
	test) want="$want $build $test" ;;
	bench) want="$want $build $bench" ;;
	deb) want="$want $build $deb" ;;
	*) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $want; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac ;;
	esac
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
