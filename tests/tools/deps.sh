#!/bin/sh
# Install the Debian 12 packages that building, testing and the demo need,
# when any is missing. As root it runs apt-get; otherwise it prints the exact
# command and stops.
set -eu
PKGS="apache2 apache2-dev apache2-utils libaprutil1-dbd-mysql mariadb-server
mariadb-client libssl-dev libjson-c-dev check pkg-config gcc make
python3-pytest python3-requests python3-jwt python3-cryptography
libapache2-mod-php curl python3-jwcrypto nodejs node-jose clang
libclang-rt-14-dev valgrind chromium chromium-driver python3-selenium
memcached redis-server galera-4 rsync"
# `deps.sh bench`: also what `make bench` drives and draws with
[ "${1:-}" = bench ] && PKGS="$PKGS wrk gnuplot-nox"
missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Never start the system services these packages bring: tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
