#!/bin/sh
# Licensed under the Apache License, Version 2.0.
#
# Build mod_auth_jwt.so with apxs: the one recipe for the DSO, usable without
# make. Output: .libs/mod_auth_jwt.so (and mod_auth_jwt.la).
#
#   ./apxs-build.sh               build
#   ./apxs-build.sh --install     build, then install with apxs -i
#   ./apxs-build.sh --install -a  ... and add the LoadModule line (apxs -a)
#
# APXS names another apxs; WERROR=0 drops -Werror; EXTRA_CFLAGS adds flags
# (e.g. "-fsanitize=address"), EXTRA_LDFLAGS link flags.
set -eu
cd "$(dirname "$0")"
APXS=${APXS:-apxs}
install=0
activate=""
for arg in "$@"; do
    case "$arg" in
        --install) install=1 ;;
        -a) activate="-a" ;;
        -h|--help) sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "apxs-build.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done
if ! command -v "$APXS" >/dev/null 2>&1; then
    echo "apxs-build.sh: '$APXS' not found; install apache2-dev (apt-get install apache2-dev)" >&2
    exit 1
fi
WARN="-Wc,-std=gnu99 -Wc,-Wall -Wc,-Wextra -Wc,-Wshadow -Wc,-Wstrict-prototypes -Wc,-Wmissing-prototypes -Wc,-Wno-unused-parameter"
if [ "${WERROR:-1}" = 1 ]; then WARN="$WARN -Wc,-Werror"; fi
EXTRA=""
for f in ${EXTRA_CFLAGS:-}; do EXTRA="$EXTRA -Wc,$f"; done
for f in ${EXTRA_LDFLAGS:-}; do EXTRA="$EXTRA -Wl,$f"; done
CFLAGS=""
for f in $(pkg-config --cflags openssl); do CFLAGS="$CFLAGS -Wc,$f"; done
"$APXS" -c -o mod_auth_jwt.la -I modules $WARN $CFLAGS $EXTRA \
    mod_auth_jwt.c modules/*.c \
    $(pkg-config --libs openssl)
if [ "$install" = 1 ]; then
    "$APXS" -i $activate -n auth_jwt mod_auth_jwt.la
fi
