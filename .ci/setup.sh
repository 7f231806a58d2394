#!/usr/bin/env bash
# Screening Night set-up: the two commands of README's quick start.
#
#   bash .ci/setup.sh demo   install everything, then open the app on the bundled demo night
#   bash .ci/setup.sh test   install the same, then run the whole test suite (what CI runs)
#
# Installs Debian packages (as root, or through sudo), a virtual environment in .venv with the
# project in it, and the generated demo media in assets/demo/. Idempotent: a second run only
# checks, and takes seconds.
set -euo pipefail

mode="${1:-demo}"
shift || true
cd "$(dirname "$0")/.."
root_dir="$PWD"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

case "$mode" in demo|test) ;; *) die "usage: bash .ci/setup.sh demo|test [pytest args...]" ;; esac

# --- Debian packages --------------------------------------------------------------------
# libvlc5 alone gives no usable instance: vlc-plugin-base is needed; libvlc-bin builds the
# plugin cache (instance start 50 ms -> 5 ms); vlc-plugin-video-output or video stays black.
# The libxcb-* / libxkbcommon-x11 / libegl / libgl / fontconfig / dbus libraries are what Qt's
# xcb platform plugin loads. xvfb + xauth: the tests' virtual screen. pulseaudio-utils
# (pactl, parec, pacat) and PulseAudio: the tests' private sound server, recorded; PulseAudio
# only where PipeWire's server is not installed (a desktop's sound is left as it is).
# chromium + chromium-driver: the remote page's tests in a real browser (headless, selenium).
packages=(
  python3 python3-venv ffmpeg fonts-noto-cjk
  libvlc5 libvlc-bin vlc-plugin-base vlc-plugin-video-output
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-xinerama0 libxkbcommon-x11-0
  libx11-xcb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  xvfb xauth poppler-utils pulseaudio-utils chromium chromium-driver
)
dpkg-query -W -f='${Status}' pipewire-pulse 2>/dev/null | grep -q "install ok installed" \
  || packages+=(pulseaudio)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    die "need root or sudo to install: ${missing[*]}"
  fi
  say "Installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# --- Python environment -----------------------------------------------------------------
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))"
if [[ ! -x .venv/bin/python ]]; then
  say "Creating the virtual environment in .venv"
  "$python" -m venv .venv
fi
stamp=.venv/.setup-stamp
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  say "Installing Screening Night and its Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  echo "$want" > "$stamp"
fi

# --- Demo media -------------------------------------------------------------------------
# (made by the tests' clip maker, which is not part of the installed program)
PYTHONPATH=tests .venv/bin/python -m support.demo

# --- Go ---------------------------------------------------------------------------------
if [[ $mode == test ]]; then
  say "Running the whole test suite"
  exec .venv/bin/python -m pytest "$@"
fi
if [[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  .venv/bin/screening-night validate playlists/demo-night.yaml
  say "Installed. No screen here (DISPLAY is not set), so the window cannot open."
  say "On a desktop run: .venv/bin/screening-night   (or: xvfb-run -a .venv/bin/screening-night --windowed)"
  exit 0
fi
say "Opening the demo night"
exec .venv/bin/screening-night "$@"
