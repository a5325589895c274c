# Shared by scripts/test and scripts/run. Source it; it defines functions only.

# Prints a step header.
step() {
    printf '\n==> %s\n' "$*"
}

# Is there a directory with the PostgreSQL server binaries (initdb and
# postgres)? Looks where Tarello looks: TARELLO_PG_BINDIR when set, else
# /usr/lib/postgresql/<version>/bin, else `pg_config --bindir`.
have_pg_binaries() {
    local dir
    if [[ -n "${TARELLO_PG_BINDIR:-}" ]]; then
        [[ -x "$TARELLO_PG_BINDIR/initdb" && -x "$TARELLO_PG_BINDIR/postgres" ]]
        return
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/postgres" ]] && return 0
    done
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/postgres" ]] && return 0
    fi
    return 1
}

# apt-get install, non-interactive, keeping configuration files we wrote.
apt_install() {
    DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq \
        --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "$@"
}

# Installs the PostgreSQL server binaries when they are missing (root only;
# otherwise prints the command to run and exits 1). Tarello starts its own
# private cluster from them, so the package's system cluster is not wanted:
# create_main_cluster = false keeps the package from creating one.
ensure_postgres() {
    if have_pg_binaries; then
        return 0
    fi
    if [[ -n "${TARELLO_PG_BINDIR:-}" ]]; then
        echo "error: TARELLO_PG_BINDIR=$TARELLO_PG_BINDIR holds no initdb and postgres" >&2
        exit 1
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "error: the PostgreSQL server binaries (initdb) are not installed. Install them with:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y postgresql postgresql-contrib" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: the PostgreSQL server binaries (initdb) are missing and apt-get is not available;" >&2
        echo "  install PostgreSQL (15 or later) and set TARELLO_PG_BINDIR to its bin directory" >&2
        exit 1
    fi
    echo "PostgreSQL server binaries not found: installing them with apt-get"
    apt-get update -qq
    if apt_install postgresql-common; then
        local conf=/etc/postgresql-common/createcluster.conf
        if [[ -f "$conf" ]]; then
            sed -i -E 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*$/create_main_cluster = false/' "$conf" || true
            grep -q '^create_main_cluster = false' "$conf" ||
                echo 'create_main_cluster = false' >>"$conf" || true
        fi
    else
        echo "warning: could not install postgresql-common first; the package may create a system cluster" >&2
    fi
    apt_install postgresql postgresql-contrib
    if ! have_pg_binaries; then
        echo "error: PostgreSQL was installed but no initdb was found under /usr/lib/postgresql/*/bin" >&2
        exit 1
    fi
}
