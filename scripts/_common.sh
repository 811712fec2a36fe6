# Shared by scripts/demo and scripts/test (sourced, not run).
# Makes the project's virtual environment and the Debian packages it needs exist,
# doing work only when something is missing or pyproject.toml changed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.frontline-install-stamp"

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Packages PySide6 needs to run offscreen and under Xvfb on a bare Debian 12
# (found with ldd on PySide6/Qt/plugins/platforms/*.so), plus fonts with Cyrillic.
QT_RUNTIME_DEBS=(
    libgl1 libegl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
    libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0
    libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
    libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libxrender1
    libpulse0 fonts-dejavu-core
)

# ---------------------------------------------------------------- python + venv

py_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

find_python() {
    # $PYTHON if given; else python3, or a python3.1x beside it when python3 is too old.
    local py candidates
    if [ -n "${PYTHON:-}" ]; then candidates=("$PYTHON"); else candidates=(python3 python3.13 python3.12 python3.11); fi
    for py in "${candidates[@]}"; do
        if command -v "$py" >/dev/null 2>&1 && py_ok "$py"; then
            printf '%s\n' "$py"
            return 0
        fi
    done
    py="${candidates[0]}"
    command -v "$py" >/dev/null 2>&1 || die "$py not found: Frontline needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"
    die "Frontline needs Python 3.11 or newer, but $py is $("$py" -c 'import sys; print(sys.version.split()[0])'). Install Python 3.11+ or set PYTHON=/path/to/python3.11"
}

install_stamp() {
    # What the last `pip install -e .[dev]` was made from.
    { cat "$ROOT/pyproject.toml"; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! py_ok "$VENV/bin/python"; then
        local py
        py="$(find_python)"
        say "creating virtual environment .venv ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
        rm -rf "$VENV"
        "$py" -m venv "$VENV" || die "'$py -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
    fi
    local want have=""
    want="$(install_stamp)"
    [ -f "$STAMP" ] && have="$(cat "$STAMP")"
    if [ "$want" != "$have" ]; then
        say "installing Frontline and its dev tools into .venv (pyproject.toml changed or first run)"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
        (cd "$ROOT" && "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[dev]') \
            || die "pip install -e '.[dev]' failed"
        printf '%s\n' "$want" >"$STAMP"
    fi
}

# ---------------------------------------------------------------- Debian packages

deb_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (and sudo is not installed)"
    fi
}

# ensure_debs MODE PKG... ; MODE is "require" (fail without apt) or "try" (warn and go on)
ensure_debs() {
    local mode="$1"
    shift
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        if [ "$mode" = require ]; then
            die "apt-get/dpkg not available: this script installs its system packages on Debian/Ubuntu only. Install these yourself: $*"
        fi
        say "not a Debian system: make sure these (or their equivalents) are installed: $*"
        return 0
    fi
    local missing=() p
    for p in "$@"; do
        deb_installed "$p" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"
    for p in "${missing[@]}"; do
        deb_installed "$p" || die "Debian package $p is still not installed"
    done
}

has_display() {
    [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ "$(uname -s)" != Linux ]
}
