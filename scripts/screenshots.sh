#!/usr/bin/env bash
# Launches the real Weft viewer window under Xvfb (software rendering: wgpu falls back to
# llvmpipe/lavapipe when there is no GPU) and saves screenshots into assets/screenshots/,
# the pictures README.md shows.
#
# Usage:
#   scripts/screenshots.sh                    # builds `weft` (debug) and takes every picture
#   WEFT_BIN=path/to/weft scripts/screenshots.sh
#   ONLY=compare scripts/screenshots.sh       # just the pictures whose name matches
#
# Needs xvfb-run (Debian `xvfb`), `import` (`imagemagick`) and `xdotool`; installs them with
# apt-get when missing. Each picture: open a sample trace (or two, to compare them) with
# `weft view`, wait for the window, optionally press keys (N jumps to the next finding), grab the
# screen, close the viewer.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=assets/screenshots
WIDTH=1440
HEIGHT=900
# Seconds for the window to appear and for software rendering to settle.
SETTLE=${SETTLE:-4}

if [[ "${1:-}" != "--inside-xvfb" ]]; then
    missing=()
    command -v xvfb-run >/dev/null || missing+=(xvfb)
    command -v import >/dev/null || missing+=(imagemagick)
    command -v xdotool >/dev/null || missing+=(xdotool)
    if ((${#missing[@]})); then
        echo "screenshots: installing ${missing[*]}" >&2
        sudo_cmd=()
        if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
        "${sudo_cmd[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" \
            mesa-vulkan-drivers libgl1-mesa-dri libegl1 libxkbcommon-x11-0 >/dev/null
    fi
    if [[ -z "${WEFT_BIN:-}" ]]; then
        cargo build -p weft
        WEFT_BIN="${CARGO_TARGET_DIR:-target}/debug/weft"
    fi
    export WEFT_BIN
    mkdir -p "$OUT"
    exec xvfb-run -a -s "-screen 0 ${WIDTH}x${HEIGHT}x24" "$0" --inside-xvfb
fi

# ---- inside the virtual display ----

# No Wayland here, and a private runtime dir so Mesa and winit do not complain.
unset WAYLAND_DISPLAY
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR

# The pointer rests over the side panel, away from the timeline: no hover line or tooltip in
# the pictures.
xdotool mousemove $((WIDTH - 60)) $((HEIGHT - 40))

# shoot NAME "TRACE [TRACE_B]" [KEY...]: saves $OUT/NAME.png of TRACE (or of TRACE compared
# with TRACE_B) after pressing KEYs (tries twice: a software-rendered window occasionally fails
# to come up).
shoot() {
    if [[ -n "${ONLY:-}" && "$1" != *"$ONLY"* ]]; then
        return 0
    fi
    shoot_once "$@" || shoot_once "$@"
}

shoot_once() {
    local name=$1 trace=$2
    shift 2
    local traces
    read -ra traces <<<"$trace"
    # A fresh config dir: no recent files or window state from earlier runs in the picture.
    XDG_DATA_HOME=$(mktemp -d) "$WEFT_BIN" view "${traces[@]}" &
    local pid=$!
    local window=""
    for _ in $(seq 1 60); do
        window=$(xdotool search --onlyvisible --name "Weft" 2>/dev/null | head -n1 || true)
        [[ -n "$window" ]] && break
        sleep 0.5
    done
    if [[ -z "$window" ]]; then
        echo "screenshots: no viewer window for $trace" >&2
        kill "$pid" 2>/dev/null || true
        return 1
    fi
    sleep "$SETTLE"
    # Without a window manager the window needs the focus given to it, and a pointer motion
    # inside it, before it takes keys.
    xdotool windowfocus --sync "$window" 2>/dev/null || true
    sleep 0.5
    xdotool mousemove $((WIDTH - 59)) $((HEIGHT - 39))
    sleep 0.5
    for key in "$@"; do
        xdotool key "$key"
        sleep 1
    done
    sleep 1
    import -window root "$OUT/$name.png"
    echo "screenshots: $OUT/$name.png"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

shoot pipeline assets/traces/pipeline.weft
shoot leak_blocked_send assets/traces/leak_blocked_send.weft n
shoot deadlock_lock_order assets/traces/deadlock_lock_order.weft n
shoot worker_pool assets/traces/worker_pool.weft
shoot mutex_contention assets/traces/mutex_contention.weft n
shoot compare "assets/traces/mutex_contention.weft assets/traces/mutex_contention_fixed.weft"
