#!/usr/bin/env bash
# perfdb-history.sh — keep a perfdb SQLite database on a git branch between CI pipelines.
#
#   perfdb-history.sh pull DB   copy the database stored on the history branch to DB
#                               (the branch absent: DB is left as it is — absent on a first run)
#   perfdb-history.sh push DB   fold DB into the branch's database (perfdb merge) and push it;
#                               a push rejected because another pipeline pushed first starts
#                               over from the fetch, after a short random pause
#
# Run it inside the job's git checkout. It uses git plumbing only (fetch into a private ref,
# hash-object, mktree, commit-tree, push): the job's work tree, index, HEAD and branches are
# never touched. Merging is by content digest, so a run is stored once however often it is
# pushed, and two pipelines racing each keep their runs.
#
# Settings (environment):
#   PERFDB_HISTORY_BRANCH    the branch (perfdb-history)
#   PERFDB_HISTORY_REMOTE    a remote name or URL to fetch from and push to (origin)
#   PERFDB_HISTORY_FILE      the file's name on the branch (perfdb.sqlite)
#   PERFDB_HISTORY_ATTEMPTS  pushes tried before giving up (10)
#   PERFDB_HISTORY_KEEP      last: the branch holds one commit, the newest database (default;
#                            the database keeps every run itself, and fetches stay small);
#                            all: every push is a new commit on top of the previous one
#   PERFDB                   the perfdb command (perfdb)
#
# Exit codes: 0 done, 1 failure (message on standard error), 64 usage.
set -euo pipefail

BRANCH=${PERFDB_HISTORY_BRANCH:-perfdb-history}
REMOTE=${PERFDB_HISTORY_REMOTE:-origin}
FILE=${PERFDB_HISTORY_FILE:-perfdb.sqlite}
ATTEMPTS=${PERFDB_HISTORY_ATTEMPTS:-10}
KEEP=${PERFDB_HISTORY_KEEP:-last}
PERFDB=${PERFDB:-perfdb}
TRACKING=refs/perfdb-history/$BRANCH

say() { printf 'perfdb-history: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    echo "usage: perfdb-history.sh pull|push DB" >&2
    exit 64
}

[ $# -eq 2 ] || usage
ACTION=$1
DB=$2
case "$ACTION" in pull | push) ;; *) usage ;; esac
case "$KEEP" in last | all) ;; *) die "PERFDB_HISTORY_KEEP must be last or all, not '$KEEP'" ;; esac
case "$ATTEMPTS" in '' | *[!0-9]*) die "PERFDB_HISTORY_ATTEMPTS must be a number" ;; esac

git rev-parse --git-dir > /dev/null 2>&1 || die "not inside a git repository: run it in the job's checkout"

# A committer for the history commits, for this process only, when the job has none.
if [ -z "$(git config user.name || true)" ] && [ -z "${GIT_COMMITTER_NAME:-}" ]; then
    export GIT_AUTHOR_NAME="perfdb" GIT_COMMITTER_NAME="perfdb"
fi
if [ -z "$(git config user.email || true)" ] && [ -z "${GIT_COMMITTER_EMAIL:-}" ]; then
    export GIT_AUTHOR_EMAIL="perfdb@localhost" GIT_COMMITTER_EMAIL="perfdb@localhost"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/perfdb-history.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Fetch the branch into the private tracking ref. Prints the fetched commit, or nothing when
# the remote has no such branch. Fails on any other error (network, permissions).
fetch_branch() {
    local status=0
    git ls-remote --exit-code "$REMOTE" "refs/heads/$BRANCH" > /dev/null 2> "$WORK/ls-remote.err" || status=$?
    if [ "$status" -eq 2 ]; then
        git update-ref -d "$TRACKING" 2> /dev/null || true
        return 0
    fi
    if [ "$status" -ne 0 ]; then
        cat "$WORK/ls-remote.err" >&2
        die "cannot list $REMOTE (exit $status)"
    fi
    if ! git fetch --quiet --no-tags "$REMOTE" "+refs/heads/$BRANCH:$TRACKING" 2> "$WORK/fetch.err"; then
        # The branch can have moved or vanished between the two calls: the caller starts over.
        cat "$WORK/fetch.err" >&2
        return 3
    fi
    git rev-parse --verify --quiet "$TRACKING^{commit}" || die "fetched $BRANCH but cannot read it"
}

# Write the database stored in commit $1 to file $2. Returns 4 when the commit has no such file.
extract() {
    local commit=$1 out=$2
    git cat-file -e "$commit:$FILE" 2> /dev/null || return 4
    git cat-file blob "$commit:$FILE" > "$out.part"
    mv "$out.part" "$out"
}

pull() {
    local tip
    tip=$(fetch_branch) || die "cannot fetch $BRANCH from $REMOTE"
    if [ -z "$tip" ]; then
        say "$REMOTE has no branch $BRANCH yet: first run, $DB not created"
        return 0
    fi
    if ! extract "$tip" "$WORK/pulled.sqlite"; then
        say "$BRANCH (${tip:0:12}) has no $FILE: first run, $DB not created"
        return 0
    fi
    mkdir -p "$(dirname "$DB")"
    rm -f "$DB-wal" "$DB-shm"
    mv "$WORK/pulled.sqlite" "$DB"
    say "pulled $FILE from $BRANCH (${tip:0:12}) to $DB ($(wc -c < "$DB" | tr -d ' ') bytes)"
}

# One attempt: fetch, merge DB into the fetched database, commit, push.
# Returns 0 pushed, 10 rejected (the branch moved meanwhile), other values fail.
push_once() {
    local tip merged="$WORK/merged.sqlite" blob tree commit parent=() lease status=0
    rm -f "$merged" "$merged-wal" "$merged-shm" "$WORK/push.err"
    tip=$(fetch_branch) || status=$?
    if [ "$status" -eq 3 ]; then return 10; fi
    [ "$status" -eq 0 ] || return "$status"
    if [ -n "$tip" ]; then
        extract "$tip" "$merged" || say "$BRANCH (${tip:0:12}) has no $FILE: starting it from $DB"
    fi
    # merge creates the target when it is absent: the first push is a merge into nothing.
    if ! "$PERFDB" merge "$DB" --db "$merged" --quiet > "$WORK/merge.out" 2>&1; then
        cat "$WORK/merge.out" >&2
        die "perfdb merge $DB into the fetched history failed"
    fi
    say "$(head -n 1 "$WORK/merge.out")"
    [ ! -s "$merged-wal" ] || die "perfdb left a write-ahead log beside the merged database"
    blob=$(git hash-object -w "$merged")
    tree=$(printf '100644 blob %s\t%s\n' "$blob" "$FILE" | git mktree)
    if [ -n "$tip" ] && [ "$KEEP" = all ]; then parent=(-p "$tip"); fi
    commit=$(git commit-tree "$tree" ${parent[@]+"${parent[@]}"} -m "perfdb history: ${GITHUB_RUN_ID:-${CI_PIPELINE_ID:-${BUILD_TAG:-$(hostname)}}}")
    # Compare-and-swap on the remote branch: the push is refused when it no longer points at
    # the commit this merge started from (empty: when it has been created meanwhile).
    lease="refs/heads/$BRANCH:$tip"
    if git push --quiet --porcelain --force-with-lease="$lease" "$REMOTE" "$commit:refs/heads/$BRANCH" > "$WORK/push.out" 2> "$WORK/push.err"; then
        cp "$merged" "$DB.part" && mv "$DB.part" "$DB"
        rm -f "$DB-wal" "$DB-shm"
        PUSHED=$commit
        return 0
    fi
    if grep -qiE 'rejected|stale info|fetch first|non-fast-forward|cannot lock ref|failed to update ref|incorrect old value|reference already exists' "$WORK/push.out" "$WORK/push.err"; then
        return 10
    fi
    cat "$WORK/push.out" "$WORK/push.err" >&2
    return 1
}

push() {
    [ -f "$DB" ] || die "$DB does not exist: nothing to push"
    command -v "$PERFDB" > /dev/null 2>&1 || die "'$PERFDB' not found (set PERFDB or put perfdb on PATH)"
    local attempt status
    for attempt in $(seq 1 "$ATTEMPTS"); do
        status=0
        push_once || status=$?
        if [ "$status" -eq 0 ]; then
            say "pushed $FILE to $BRANCH (${PUSHED:0:12}) at attempt $attempt"
            return 0
        fi
        [ "$status" -eq 10 ] || die "push to $REMOTE failed"
        if [ "$attempt" -lt "$ATTEMPTS" ]; then
            say "push rejected: $BRANCH moved meanwhile (attempt $attempt of $ATTEMPTS); merging again"
            sleep "$((RANDOM % 3)).$((RANDOM % 10))"
        fi
    done
    die "push rejected $ATTEMPTS times: $BRANCH keeps moving; nothing pushed"
}

"$ACTION"
