#!/bin/sh
# Installs what the console's browser tests drive, Debian's Chromium and its ChromeDriver, when
# they are missing: the README's test command (mvn verify) runs this first, so a fresh machine of
# this project's kind needs nothing installed by hand. Never downloads a browser from elsewhere.
set -eu
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "the browser tests need Debian's chromium and chromium-driver: run as root or" \
        "install them (apt-get install chromium chromium-driver)" >&2
    exit 1
fi
echo "installing chromium and chromium-driver from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
/usr/bin/chromium --version
/usr/bin/chromedriver --version
