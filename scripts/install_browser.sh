#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests, once.
#
# Playwright (python) drives /usr/bin/chromium through executable_path; we never run
# `playwright install`, which downloads its own browser build from outside the package
# registries. Idempotent: does nothing when /usr/bin/chromium is already there.
# Needs root (or sudo) on a fresh machine; quiet unless something fails.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_browser.sh: $CHROMIUM is missing and we are not root (no sudo)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

# The package lists may be absent or stale on a fresh machine: update first.
if ! $SUDO apt-get update -qq >"$LOG" 2>&1 \
    || ! $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >>"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "install_browser.sh: installing chromium failed" >&2
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "install_browser.sh: chromium installed but $CHROMIUM is missing" >&2
    exit 1
fi
