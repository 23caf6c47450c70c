#!/bin/sh
# The image's entrypoint: `greet` prints the greeting made at build time.
case "$1" in
  greet) cat /app/greeting.txt; echo "running as $(id -un)";;
  *) exec "$@";;
esac
