#!/usr/bin/env bash
# Proves that a release tarball (`make dist`) runs on a minimal Debian system: a
# `debootstrap --variant=minbase bookworm` root file system plus only the runtime packages
# docs/install.md lists. The tarball is unpacked into its /opt, and perfdb runs there under
# chroot: --version, ldd, ingest of real k6 results, check, runs list, doctor; the man page and
# the shell completions are checked too. Needs root (debootstrap, chroot, mount).
#
# The only file system mounted is /proc inside the root file system, while perfdb runs: on Linux
# the Swift runtime reads a program's arguments from /proc/self/cmdline (without it perfdb sees
# none). It is unmounted on every exit, failures and interrupts included.
#
# Usage: tools/dist-check.sh dist/perfdb-VERSION-linux-ARCH.tar.gz
#
# The root file system is cached and reused; it is rebuilt when its recipe (suite, variant,
# mirror, architecture, packages) changes or when it is older than PERFDB_ROOTFS_MAX_AGE_DAYS.
#   PERFDB_ROOTFS_CACHE         cache directory (/var/cache/perfdb-dist/bookworm-minbase)
#   PERFDB_DEBIAN_MIRROR        mirror (http://deb.debian.org/debian)
#   PERFDB_ROOTFS_MAX_AGE_DAYS  rebuild a cached root file system older than this (30)
# Exit status 0 when every check passes, 1 otherwise (the reason is printed).
set -Eeuo pipefail

# What the root file system is made of. RUNTIME_PACKAGES is the list docs/install.md gives:
# everything perfdb needs beyond a minimal Debian.
SUITE=bookworm
VARIANT=minbase
RUNTIME_PACKAGES=(libsqlite3-0)
ROOTFS_RECIPE_VERSION=1
MIRROR=${PERFDB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${PERFDB_ROOTFS_CACHE:-/var/cache/perfdb-dist/bookworm-minbase}
MAX_AGE_DAYS=${PERFDB_ROOTFS_MAX_AGE_DAYS:-30}

root=$(cd "$(dirname "$0")/.." && pwd)
rootfs="$CACHE/rootfs"
keyfile="$CACHE/key"

# State the summary and the clean-up read.
results=()          # "name|exit code|outcome"
rootfs_origin=""    # "built in N s" or "reused (built DATE)"
unpacked=""         # the tarball's copy inside the root file system
workdir=""          # fixtures and the database inside the root file system
building=""         # a root file system being built (removed when the build fails)
proc_mount=""       # /proc inside the root file system, while mounted
failed=0

say() { printf 'dist-check: %s\n' "$*"; }
die() {
    printf 'dist-check: FAILED: %s\n' "$*" >&2
    failed=1
    exit 1
}
trap 'die "unexpected error (exit code $?) at line $LINENO: $BASH_COMMAND"' ERR

# Mount points under a directory, deepest first.
mounts_under() {
    local dir
    dir=$(realpath -m "$1")
    awk -v d="$dir/" '{ gsub(/\\040/, " ", $5); if (index($5 "/", d) == 1) print $5 }' \
        /proc/self/mountinfo | sort -r
}

# Removes a directory tree that lies in a root file system, refusing to cross into a mount.
remove_tree() {
    local dir=$1 m
    [ -e "$dir" ] || return 0
    for m in $(mounts_under "$dir"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    if [ -n "$(mounts_under "$dir")" ]; then
        printf 'dist-check: not removing %s: something is still mounted under it\n' "$dir" >&2
        return 1
    fi
    rm -rf --one-file-system -- "$dir"
}

summary() {
    local r name code outcome
    echo
    echo "dist-check summary"
    echo "  tarball:       ${tarball:-?} (${tarball_size:-?})"
    echo "  root fs:       $rootfs — $SUITE $VARIANT + ${RUNTIME_PACKAGES[*]}; ${package_count:-?} packages; ${rootfs_origin:-not ready}"
    if [ -n "${libraries:-}" ]; then
        echo "  libraries:     $libraries"
    fi
    if [ -n "${glibc_needed:-}" ]; then
        echo "  glibc:         needs $glibc_needed or newer (the binary's newest GLIBC_ symbol version)"
    fi
    if [ ${#results[@]} -gt 0 ]; then
        printf '  %-44s %-9s %s\n' "step" "exit code" "outcome"
        for r in "${results[@]}"; do
            IFS='|' read -r name code outcome <<<"$r"
            printf '  %-44s %-9s %s\n' "$name" "$code" "$outcome"
        done
    fi
}

cleanup() {
    local status=$?
    trap - ERR
    set +e
    [ "$status" -ne 0 ] && failed=1
    if [ -n "$proc_mount" ]; then
        umount "$proc_mount" 2>/dev/null || umount -l "$proc_mount" ||
            echo "dist-check: could not unmount $proc_mount; unmount it by hand" >&2
    fi
    if [ -n "$unpacked" ]; then remove_tree "$unpacked"; fi
    if [ -n "$workdir" ]; then remove_tree "$workdir"; fi
    if [ -n "$building" ]; then remove_tree "$building"; fi
    summary
    if [ "$failed" -ne 0 ]; then
        echo "dist-check: FAILED" >&2
        exit 1
    fi
    echo "dist-check: OK — the tarball runs on a minimal $SUITE with ${RUNTIME_PACKAGES[*]} added"
}
trap cleanup EXIT
trap 'die "interrupted"' INT TERM HUP

# ---------------------------------------------------------------------------------------------
# Arguments and the host.

[ $# -eq 1 ] || die "usage: $0 dist/perfdb-VERSION-linux-ARCH.tar.gz"
tarball=$(realpath -e "$1" 2>/dev/null) || die "no such tarball: $1"
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot); run it as root or with sudo"
tarball_size="$(du -h "$tarball" | cut -f1), $(stat -c %s "$tarball") bytes"

name=$(basename "$tarball")
[[ $name =~ ^perfdb-([0-9A-Za-z.+~-]+)-linux-([A-Za-z0-9_]+)\.tar\.gz$ ]] ||
    die "$name is not named perfdb-VERSION-linux-ARCH.tar.gz"
version=${BASH_REMATCH[1]}
arch=${BASH_REMATCH[2]}
[ "$arch" = "$(uname -m)" ] || die "$name is for $arch; this machine is $(uname -m) and cannot run it"
top="perfdb-$version"

for tool in chroot mount umount mountpoint tar gzip dpkg-query flock awk realpath; do
    command -v "$tool" >/dev/null || die "$tool is missing on this machine"
done
if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        debootstrap debian-archive-keyring gpgv wget ||
        die "could not install debootstrap"
fi

# ---------------------------------------------------------------------------------------------
# The tarball's layout, before anything is unpacked.

listing=$(tar -tzf "$tarball") || die "$name is not a readable gzip tar archive"
bad=$(printf '%s\n' "$listing" | grep -Ev "^$top(/|$)" || true)
[ -z "$bad" ] || die "$name holds entries outside $top/: $(echo "$bad" | head -3 | tr '\n' ' ')"
bad=$(printf '%s\n' "$listing" | grep -E '(^|/)\.\.(/|$)' || true)
[ -z "$bad" ] || die "$name holds '..' entries: $(echo "$bad" | head -3 | tr '\n' ' ')"
required=(bin/perfdb share/man/man1/perfdb.1 share/bash-completion/completions/perfdb
    share/zsh/site-functions/_perfdb share/fish/vendor_completions.d/perfdb.fish LICENSE README.md)
for f in "${required[@]}"; do
    printf '%s\n' "$listing" | grep -qx "$top/$f" || die "$name has no $top/$f"
done
results+=("tarball layout|-|ok: ${#required[@]} required files, $(printf '%s\n' "$listing" | grep -c '\.1$') man pages")

# ---------------------------------------------------------------------------------------------
# The root file system: reuse the cached one when its recipe matches and it is recent enough.

debian_arch=$(dpkg --print-architecture)
key=$(printf 'recipe=%s suite=%s variant=%s mirror=%s arch=%s packages=%s\n' \
    "$ROOTFS_RECIPE_VERSION" "$SUITE" "$VARIANT" "$MIRROR" "$debian_arch" "${RUNTIME_PACKAGES[*]}" |
    sha256sum | cut -d' ' -f1)

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -w 900 9 || die "another dist-check holds $CACHE/lock"

stale=""
if [ ! -d "$rootfs" ] || [ ! -f "$keyfile" ]; then
    stale="no cached root file system"
elif [ "$(cat "$keyfile")" != "$key" ]; then
    stale="the cached root file system was made from another recipe"
elif [ -n "$(find "$keyfile" -mtime +"$MAX_AGE_DAYS")" ]; then
    stale="the cached root file system is older than $MAX_AGE_DAYS days"
elif [ ! -x "$rootfs/usr/bin/ldd" ] || [ ! -x "$rootfs/bin/bash" ]; then
    stale="the cached root file system is incomplete"
fi

if [ -n "$stale" ]; then
    include=$(IFS=,; echo "${RUNTIME_PACKAGES[*]}")
    say "$stale: running debootstrap --variant=$VARIANT --include=$include $SUITE $MIRROR"
    building="$CACHE/rootfs.new"
    remove_tree "$building" || die "cannot clear $building"
    started=$(date +%s)
    if ! debootstrap --variant="$VARIANT" --arch="$debian_arch" --include="$include" \
        "$SUITE" "$building" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
        tail -20 "$CACHE/debootstrap.log" >&2
        die "debootstrap failed (whole log: $CACHE/debootstrap.log)"
    fi
    elapsed=$(($(date +%s) - started))
    [ -z "$(mounts_under "$building")" ] || die "debootstrap left file systems mounted under $building"
    rm -f "$keyfile"
    remove_tree "$rootfs" || die "cannot remove the stale $rootfs"
    mv "$building" "$rootfs"
    building=""
    echo "$key" >"$keyfile"
    rootfs_origin="built now in ${elapsed} s ($stale)"
else
    rootfs_origin="reused from the cache (built $(date -u -r "$keyfile" +%Y-%m-%dT%H:%MZ))"
fi
# A /proc left mounted by a run that was killed outright is unmounted; anything else is not ours.
if mountpoint -q "$rootfs/proc"; then
    say "unmounting $rootfs/proc left by an earlier run"
    umount "$rootfs/proc" || die "cannot unmount $rootfs/proc left by an earlier run"
fi
leftover=$(mounts_under "$rootfs")
[ -z "$leftover" ] || die "file systems are mounted under $rootfs: $(echo "$leftover" | tr '\n' ' ')— unmount them first"

package_count=$(dpkg-query --admindir="$rootfs/var/lib/dpkg" -W -f='${db:Status-Abbrev}\n' |
    grep -c '^ii')
for p in "${RUNTIME_PACKAGES[@]}"; do
    dpkg-query --admindir="$rootfs/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null |
        grep -q '^ii' || die "$p is not installed in $rootfs"
done
say "root file system $rootfs: $package_count packages, $rootfs_origin"

# ---------------------------------------------------------------------------------------------
# Unpack, then run perfdb inside the root file system with a clean environment.

unpacked="$rootfs/opt/$top"
remove_tree "$unpacked" || die "cannot clear a leftover $unpacked"
tar -xzf "$tarball" -C "$rootfs/opt" --no-same-owner || die "could not unpack $name into $rootfs/opt"
workdir=$(mktemp -d "$rootfs/tmp/perfdb-dist-check.XXXXXX")
inner_work=${workdir#"$rootfs"}
inner_prefix="/opt/$top"
inner_bin="$inner_prefix/bin/perfdb"
db="$inner_work/perfdb.sqlite"
proc_mount="$rootfs/proc"
mount -t proc -o nosuid,nodev,noexec proc "$proc_mount" || {
    proc_mount=""
    die "cannot mount /proc in $rootfs"
}

# in_root CMD...: runs CMD in the root file system; the host's environment stays out.
in_root() {
    env -i PATH="$inner_prefix/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" HOME=/root \
        LANG=C.UTF-8 TZ=UTC TERM=dumb chroot "$rootfs" "$@"
}

# step NAME ACCEPTED_CODES WANT CMD...: runs CMD in the root file system and records its exit
# code; fails unless the code is one of ACCEPTED_CODES (space-separated) and the output is what
# WANT says: "stdout" (standard output is not empty) or "stderr:REGEX" (a line of standard
# error matches; perfdb writes its notes, such as ingest's "stored run", there).
step() {
    local name=$1 accepted=$2 want=$3 rc=0 out="$workdir/stdout" err="$workdir/stderr"
    shift 3
    echo "# $*"
    in_root "$@" >"$out" 2>"$err" || rc=$?
    head -n 8 "$out" | sed 's/^/  /'
    if [ "$(wc -l <"$out")" -gt 8 ]; then echo "  … ($(wc -l <"$out") lines)"; fi
    if [[ $want == stderr:* ]]; then head -n 3 "$err" | sed 's/^/  (stderr) /'; fi
    if ! [[ " $accepted " == *" $rc "* ]]; then
        results+=("$name|$rc|FAILED (expected $accepted)")
        sed 's/^/  stderr: /' "$err" | head -n 20 >&2
        die "$name exited $rc; expected one of: $accepted"
    fi
    if [ "$want" = stdout ] && [ ! -s "$out" ]; then
        results+=("$name|$rc|FAILED (no output)")
        sed 's/^/  stderr: /' "$err" | head -n 20 >&2
        die "$name printed nothing on standard output"
    fi
    if [[ $want == stderr:* ]] && ! grep -Eq "${want#stderr:}" "$err"; then
        results+=("$name|$rc|FAILED (no line matching ${want#stderr:})")
        sed 's/^/  stderr: /' "$err" | head -n 20 >&2
        die "$name wrote no line matching '${want#stderr:}' on standard error"
    fi
    results+=("$name|$rc|ok")
}

# ldd: every library the binary links is present.
echo "# ldd $inner_bin"
ldd_rc=0
ldd_out=$(in_root ldd "$inner_bin" 2>&1) || ldd_rc=$?
echo "$ldd_out" | sed 's/^[[:space:]]*/  /'
missing=$(echo "$ldd_out" | grep 'not found' | awk '{ print $1 }' | tr '\n' ' ' || true)
if [ -n "$missing" ]; then
    results+=("ldd|$ldd_rc|FAILED: not found: $missing")
    if [[ $missing == *libswift* || $missing == *libFoundation* || $missing == *libdispatch* ]]; then
        die "libraries not found in the root file system: $missing— the binary links the Swift runtime dynamically; build it with --static-swift-stdlib (make dist does)"
    fi
    die "libraries not found in the root file system: $missing— add their packages to docs/install.md and RUNTIME_PACKAGES"
fi
[ "$ldd_rc" -eq 0 ] || die "ldd exited $ldd_rc"
# Each library with the package that provides it, for the summary.
libraries=""
while read -r lib _; do
    owner=$(in_root dpkg-query -S "*/$lib" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    libraries+="$lib (${owner:-?}) "
done < <(echo "$ldd_out" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
results+=("ldd|$ldd_rc|ok: every library found")
if command -v readelf >/dev/null; then
    glibc_needed=$(readelf -V "$unpacked/bin/perfdb" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1 || true)
fi

# --version names the tarball's version: `perfdb VERSION (commit …, schema …, SQLite …)`.
step "perfdb --version" "0" stdout perfdb --version
got=$(head -n 1 "$workdir/stdout")
case "$got" in
    "perfdb $version ("*"schema "*"SQLite "*")") ;;
    *) die "perfdb --version says '$got'; the tarball is $version" ;;
esac

# Real k6 results: a summary export, a gzip raw stream (zlib), then the demo history (18 load
# runs with their CI context) so `check latest` has a baseline.
cp "$root/Tests/Fixtures/k6-summary-export/load.json" "$workdir/summary.json"
cp "$root/Tests/Fixtures/k6-ndjson/load.ndjson.gz" "$workdir/stream.ndjson.gz"
mkdir "$workdir/history"
cp "$root"/demo/history/*.json "$workdir/history/"
step "perfdb ingest (k6 summary export)" "0" "stderr:^stored run 1 " perfdb ingest --db "$db" \
    --scenario dist-check --environment chroot --started-at 2026-11-01T00:00:00Z \
    "$inner_work/summary.json"
step "perfdb ingest (k6 raw stream, gzip)" "0" "stderr:^stored run 2 " perfdb ingest --db "$db" \
    --scenario dist-check-stream --environment chroot --started-at 2026-11-01T01:00:00Z \
    "$inner_work/stream.ndjson.gz"
history_runs=0
tab=$(printf '\t')
while IFS="$tab" read -r file commit build branch started exit_code; do
    rc=0
    in_root perfdb ingest --db "$db" --quiet --scenario load --environment staging \
        --branch "$branch" --commit "$commit" --build "$build" --started-at "$started" \
        --exit-code "$exit_code" "$inner_work/history/$file" >"$workdir/stdout" 2>"$workdir/stderr" || rc=$?
    if [ "$rc" -ne 0 ]; then
        results+=("perfdb ingest (demo history $file)|$rc|FAILED")
        sed 's/^/  stderr: /' "$workdir/stderr" >&2
        die "perfdb ingest of demo/history/$file exited $rc"
    fi
    history_runs=$((history_runs + 1))
done < <(tail -n +2 "$root/demo/history/runs.tsv")
results+=("perfdb ingest (demo history, $history_runs runs)|0|ok")

step "perfdb check latest" "0 1 2" stdout perfdb check latest --db "$db"
step "perfdb runs list" "0" stdout perfdb runs list --db "$db"
step "perfdb doctor" "0" stdout perfdb doctor --db "$db"

# The man pages are troff; the completions are where the shells look, and bash loads its own.
man_pages=("$unpacked"/share/man/man1/*.1)
for page in "${man_pages[@]}"; do
    first=$(head -n 1 "$page")
    [[ $first == '.\"'* || $first == "'\\\""* || $first == .[A-Za-z]* ]] ||
        die "$page does not look like troff; its first line is: $first"
done
results+=("man pages|-|ok: ${#man_pages[@]} troff pages, perfdb.1 begins '$(head -n 1 "$unpacked/share/man/man1/perfdb.1")'")
for f in share/bash-completion/completions/perfdb share/zsh/site-functions/_perfdb \
    share/fish/vendor_completions.d/perfdb.fish; do
    [ -s "$unpacked/$f" ] || die "$f is empty"
done
grep -q '^#compdef perfdb' "$unpacked/share/zsh/site-functions/_perfdb" ||
    die "share/zsh/site-functions/_perfdb has no '#compdef perfdb' line"
step "bash completion loads" "0" stdout bash -c \
    "source $inner_prefix/share/bash-completion/completions/perfdb && complete -p perfdb"
