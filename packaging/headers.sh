#!/bin/sh
# Says which Debian packages a build of logmetrics misses, before the
# compiler stops at the first header it cannot find: each library's header
# is included with the build's own compiler and flags (libinotifytools
# ships no .pc file for pkg-config to ask).
# Usage: packaging/headers.sh CC [CFLAGS ...]
# Quiet, with status 0, when everything is there; else names the missing
# packages and `make deps`, with status 1.
set -u

# header package, one pair per line
pairs="stdio.h libc6-dev
pcre2.h libpcre2-dev
microhttpd.h libmicrohttpd-dev
gnutls/abstract.h libgnutls28-dev
zlib.h zlib1g-dev
yaml.h libyaml-dev
protobuf-c/protobuf-c.h libprotobuf-c-dev
crypt.h libcrypt-dev
inotifytools/inotifytools.h libinotifytools0-dev
systemd/sd-journal.h libsystemd-dev"

missing=""
said=""
if ! command -v pkg-config >/dev/null 2>&1; then
	missing=" pkg-config"
	said="  pkg-config, for the command pkg-config
"
fi
if ! command -v protoc-c >/dev/null 2>&1; then
	missing="$missing protobuf-c-compiler"
	said="$said  protobuf-c-compiler, for the command protoc-c
"
fi
if ! command -v "$1" >/dev/null 2>&1; then
	echo "logmetrics: the C compiler '$1' is not found: make deps installs gcc" >&2
	exit 1
fi
while read -r header pkg; do
	if ! printf '#define PCRE2_CODE_UNIT_WIDTH 8\n#include <%s>\n' "$header" |
	    "$@" -E -x c -o /dev/null - >/dev/null 2>&1; then
		missing="$missing $pkg"
		said="$said  $pkg, for $header
"
	fi
done <<EOF
$pairs
EOF
[ -z "$missing" ] && exit 0
{
	echo "logmetrics: the build needs Debian packages that are missing:"
	printf '%s' "$said"
	echo "make deps installs them (as root), or: apt-get install$missing"
} >&2
exit 1
