#!/bin/sh
# Source checks of `make check`: see check_source.py.
set -eu
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/tools/check_source.py "$@"
