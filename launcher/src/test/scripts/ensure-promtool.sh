#!/bin/sh
# Puts Prometheus's promtool where the monitoring test finds it ($1/promtool), to check the alert
# rules in monitoring/: the machine's own if installed, else the binary taken out of Debian's
# prometheus package without installing it (no server is set up or started). Where neither is
# possible the test says so and checks the rules' names only.
set -u
out="$1"
mkdir -p "$out"
if [ -x "$out/promtool" ]; then
    exit 0
fi
if command -v promtool >/dev/null 2>&1; then
    ln -sf "$(command -v promtool)" "$out/promtool"
    exit 0
fi
work="$out/prometheus-deb"
mkdir -p "$work"
cd "$work" || exit 0
if ! ls prometheus_*.deb >/dev/null 2>&1; then
    # Without package lists (a fresh machine), only root can fetch them.
    apt-get download prometheus >/dev/null 2>&1 \
        || { [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1 \
            && apt-get download prometheus >/dev/null 2>&1; } \
        || { echo "promtool: Debian's prometheus package could not be downloaded" >&2; exit 0; }
fi
dpkg-deb -x prometheus_*.deb extracted && cp extracted/usr/bin/promtool "$out/promtool" \
    && echo "promtool: $("$out/promtool" --version 2>&1 | head -1)"
exit 0
