#!/usr/bin/env bash
# Several hosts for real: perfdb on PostgreSQL (docs/reliability.md). A server and four client
# hosts, each a network namespace made here, joined by veth pairs on a bridge in the server's
# namespace (10.203.0.0/24, nothing else reachable); a throw-away cluster run as nobody; 8
# writers (2 a host) ingest 50 distinct files each, one perfdb process a file, beside readers,
# while one host's link is cut for 5 s and the server restarts with `pg_ctl restart -m immediate`.
# Prints one line of figures; exits non-zero when a run is lost, duplicated or partial, a writer
# gives up on a file or a reader fails. Needs root (namespaces); skipped (exit 77) without.
# Usage: tools/reliability-pg.sh PERFDB_BINARY
set -uo pipefail
if [ $# != 1 ]; then echo "usage: $0 PERFDB_BINARY" >&2; exit 64; fi
perfdb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
name="postgresql across hosts"
if [ "$(id -u)" != 0 ]; then echo "$name: skipped: not root / no ip netns"; exit 77; fi
if ! command -v ip > /dev/null || ! ip netns add "pdb$$probe" 2> /dev/null; then
    echo "$name: skipped: not root / no ip netns"; exit 77
fi
ip netns del "pdb$$probe"

writers=8 files=50 hosts=4
net=10.203.0
server=$net.1
url="postgresql://perfdb@$server:5432/perfdb?sslmode=disable"
srv=pdb$$srv
limit=240 # seconds of writing before the writers give up; each perfdb process gets at most 60 s

work=$(mktemp -d)
chmod 711 "$work" # the server's user passes through to its own folder
pg=$work/pg
data=$pg/data
namespaces=()
background=()
pg_pid=""

# shellcheck disable=SC2317 # (the clean-up runs from the trap)
# Stops a process and everything it started (stopped first so it starts nothing new).
kill_tree() {
    local child
    kill -STOP "$1" 2> /dev/null || return 0
    for child in $(pgrep -P "$1"); do kill_tree "$child"; done
    kill -KILL "$1" 2> /dev/null
}
# shellcheck disable=SC2317
# The server (whoever started it) while its PID is still a postgres.
alive() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2> /dev/null)" = postgres ]; }
# shellcheck disable=SC2317
cleanup() {
    local pid ns
    rm -f "$work/readers-on"
    for pid in "${background[@]}"; do
        # Only a writer or reader of this script still running (its PID not reused since).
        [ "$(ps -o ppid= -p "$pid" 2> /dev/null | tr -d ' ')" = $$ ] && kill_tree "$pid"
    done
    if alive "$pg_pid"; then
        kill -QUIT "$pg_pid" 2> /dev/null # immediate shutdown; the backends follow
        for _ in $(seq 50); do alive "$pg_pid" || break; sleep 0.1; done
        alive "$pg_pid" && kill -KILL "$pg_pid" 2> /dev/null
    fi
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2> /dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

abort() {
    echo "FAILED: $name: $*"
    [ -f "$pg/server.log" ] && tail -5 "$pg/server.log"
    exit 1
}
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
as_server() { ip netns exec "$srv" env -u PGPASSWORD setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
sql() { "$pgbin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$pg/sock" -U perfdb -d "${database:-perfdb}" -c "$1"; }
host_of() { echo "pdb$$c$(((($1) - 1) * hosts / writers + 1))"; } # writer -> client namespace

# PostgreSQL: PERFDB_PG_BIN, else the newest installed (installed as `make test` does).
if [ -z "${PERFDB_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/postgres > /dev/null 2>&1; then
    echo "installing postgresql"
    apt-get update -qq > /dev/null && apt-get install -y -qq postgresql > /dev/null || abort "cannot install postgresql"
fi
pgbin=${PERFDB_PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)}
[ -x "$pgbin/postgres" ] || abort "no PostgreSQL server in '$pgbin'"

# The files: the smoke summary, made distinct by trailing whitespace (as tools/reliability.sh).
fixture=$root/Tests/Fixtures/k6-summary-export/smoke.json
for writer in $(seq $writers); do
    mkdir -p "$work/w$writer"
    for file in $(seq $files); do
        { cat "$fixture"; printf '%*s' "$((writer * 100 + file))" ''; } > "$work/w$writer/run-$file.json"
    done
done
cd "$work" || exit 1

# What the server must end up with: the same files through one local SQLite ingest.
"$perfdb" ingest --db "$work/expected.sqlite" --quiet --scenario smoke --branch main --commit seed "$fixture" \
    && "$perfdb" ingest --db "$work/expected.sqlite" --quiet --scenario smoke --branch main --commit local \
        "$work"/w*/run-*.json \
    || abort "the local SQLite ingest of the files failed"
local_sql() { "$perfdb" query --db "$work/expected.sqlite" "$1" --format csv | tail -n +2; }
local_sql "SELECT content_digest FROM run ORDER BY 1" | LC_ALL=C sort > "$work/expected-digests"
shape="(SELECT count(*) FROM measurement m WHERE m.run_id = r.id) || '/' || (SELECT count(*) FROM threshold_result t WHERE t.run_id = r.id) || '/' || (SELECT count(*) FROM check_result c WHERE c.run_id = r.id)"
shapes=$(local_sql "SELECT DISTINCT $shape AS shape FROM run r")
expected=$(wc -l < "$work/expected-digests")
[ "$expected" = $((writers * files + 1)) ] && [ "$(echo "$shapes" | wc -l)" = 1 ] && [ "${shapes%%/*}" -gt 0 ] \
    || abort "the local SQLite ingest gave $expected runs of shapes $shapes"

# The network: a bridge in the server's namespace, one veth pair a client host.
ip netns add "$srv" || abort "cannot create a network namespace"
namespaces+=("$srv")
ip -n "$srv" link set lo up
ip -n "$srv" link add br0 type bridge || abort "cannot create a bridge"
ip -n "$srv" addr add "$server/24" dev br0
ip -n "$srv" link set br0 up
for host in $(seq $hosts); do
    ns=pdb$$c$host
    ip netns add "$ns" || abort "cannot create a network namespace"
    namespaces+=("$ns")
    ip -n "$ns" link set lo up
    ip -n "$srv" link add "v$host" type veth peer name eth0 netns "$ns" || abort "cannot create a veth pair"
    ip -n "$srv" link set "v$host" master br0
    ip -n "$srv" link set "v$host" up
    ip -n "$ns" addr add "$net.$((10 + host))/24" dev eth0
    ip -n "$ns" link set eth0 up
done

# The server: a throw-away cluster owned by nobody, listening on the bridge only.
mkdir -p "$pg/sock"
password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" > "$pg/pwfile"
touch "$pg/server.log"
chown -R nobody:nogroup "$pg"
chmod 600 "$pg/pwfile"
(cd "$pg" && as_server "$pgbin/initdb" -D "$data" -U perfdb --pwfile="$pg/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C > "$pg/initdb.log" 2>&1) \
    || { cat "$pg/initdb.log"; abort "initdb failed"; }
rm -f "$pg/pwfile"
cat >> "$data/postgresql.conf" << EOF
listen_addresses = '$server'
port = 5432
unix_socket_directories = '$pg/sock'
fsync = off
max_connections = 100
EOF
echo "host all perfdb $net.0/24 scram-sha-256" >> "$data/pg_hba.conf"
(cd "$pg" && exec ip netns exec "$srv" env -u PGPASSWORD setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$pgbin/postgres" -D "$data" >> "$pg/server.log" 2>&1 < /dev/null) &
pg_pid=$!
ready() { timeout 40 bash -c "until ip netns exec $1 '$pgbin/pg_isready' -q -h $server -p 5432 -U perfdb -d postgres -t 2; do sleep 0.2; done"; }
for host in $(seq $hosts); do ready "pdb$$c$host" || abort "the server does not answer host $host"; done
database=postgres sql "CREATE DATABASE perfdb" || abort "cannot create the database"
export PGPASSWORD=$password

# The seed run, stored from host 1, so that the readers have something from the start.
ip netns exec "pdb$$c1" timeout 60 "$perfdb" ingest --db "$url" --quiet --scenario smoke --branch main \
    --commit seed "$fixture" 2> "$work/seed.err" || abort "the seed ingest failed: $(head -3 "$work/seed.err")"

started=$(now)
deadline=$(($(date +%s) + limit))
# Writer K on its host: one perfdb process a file; exit 74 or 75 is retried up to 3 times.
write() {
    local writer=$1 ns file attempt status
    ns=$(host_of "$writer")
    for file in $(seq $files); do
        status=124
        for attempt in 1 2 3 4; do
            if [ "$(date +%s)" -ge "$deadline" ]; then
                echo "w$writer file $file: stopped after ${limit}s of writing" >> "$work/w$writer.errors"
                break
            fi
            [ "$attempt" = 1 ] || sleep 1
            ip netns exec "$ns" timeout 60 "$perfdb" ingest --db "$url" --quiet --scenario smoke --branch main \
                --commit "w$writer-$file" "$work/w$writer/run-$file.json" > /dev/null 2> "$work/w$writer.err"
            status=$?
            [ "$status" = 0 ] && break
            [ "$status" = 124 ] && echo "no answer in 60 s, stopped" >> "$work/w$writer.err"
            echo "w$writer ($ns) file $file attempt $attempt at $(since "$started")s: exit $status: $(head -3 "$work/w$writer.err" | tr '\n' ' ')" \
                >> "$work/w$writer.errors"
            [ "$status" = 74 ] || [ "$status" = 75 ] || break
        done
        if [ "$status" = 0 ]; then
            echo "$file" >> "$work/w$writer.done"
            [ "$attempt" = 1 ] || echo "$file" >> "$work/w$writer.retried"
        else
            echo "w$writer ($ns) file $file: given up, exit $status" >> "$work/w$writer.failed"
        fi
    done
}
# A reader on a host: the three reading commands in a loop; 0-3 are answers, anything else fails.
read_loop() {
    local ns=pdb$$c$1 command status
    while [ -f "$work/readers-on" ] && [ "$(date +%s)" -lt "$deadline" ]; do
        for command in "check latest --no-store" \
            "trend --series http_req_duration --scenario smoke --last 5" "runs list --last 5"; do
            # shellcheck disable=SC2086
            ip netns exec "$ns" timeout 60 "$perfdb" $command --db "$url" > /dev/null 2> "$work/r$1.err"
            status=$?
            echo x >> "$work/r$1.reads"
            if [ "$status" -gt 3 ]; then
                [ "$status" = 124 ] && echo "no answer in 60 s, stopped" >> "$work/r$1.err"
                echo "reader $ns at $(since "$started")s: $command exited $status: $(head -3 "$work/r$1.err" | tr '\n' ' ')" \
                    >> "$work/reader-failures"
            fi
        done
        sleep 0.1
    done
}
touch "$work/readers-on"
readers=()
for host in $(seq $hosts); do read_loop "$host" & readers+=($!); background+=($!); done
pids=()
for writer in $(seq $writers); do write "$writer" & pids+=($!); background+=($!); done
done_count() { cat "$work"/w*.done 2> /dev/null | wc -l; }

# Mid-run: host 2 loses its link for 5 s; 2 s into the cut the server restarts, immediately.
sleep 3
cut=pdb$$c2
ip -n "$cut" link set eth0 down || abort "cannot cut the link of $cut"
cut_at=$(now)
sleep 2
at=$(done_count)
restart_started=$(now)
(cd "$pg" && timeout 90 ip netns exec "$srv" env -u PGPASSWORD setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$pgbin/pg_ctl" restart -m immediate -D "$data" -w -t 60 -l "$pg/server.log") > "$work/restart.out" 2>&1
restart_status=$?
restart_time=$(since "$restart_started")
new_pid=$(head -1 "$data/postmaster.pid" 2> /dev/null)
[ -n "$new_pid" ] && pg_pid=$new_pid
[ "$restart_status" = 0 ] || abort "pg_ctl restart failed (exit $restart_status): $(tail -3 "$work/restart.out")"
sleep "$(awk -v a="$cut_at" -v b="$EPOCHREALTIME" 'BEGIN { r = 5 - (b - a); print (r > 0 ? r : 0) }')"
ip -n "$cut" link set eth0 up || abort "cannot restore the link of $cut"
cut_time=$(since "$cut_at")

for pid in "${pids[@]}"; do wait "$pid"; done
elapsed=$(since "$started")
rm -f "$work/readers-on"
for pid in "${readers[@]}"; do wait "$pid"; done

# The figures, read over the server's socket.
stored=$(sql "SELECT count(*) FROM run") || abort "cannot count the runs"
duplicated=$(sql "SELECT count(*) - count(DISTINCT content_digest) FROM run")
sql "SELECT content_digest FROM run" | LC_ALL=C sort -u > "$work/stored-digests"
lost=$(LC_ALL=C comm -23 "$work/expected-digests" "$work/stored-digests" | wc -l)
unexpected=$(LC_ALL=C comm -13 "$work/expected-digests" "$work/stored-digests" | wc -l)
partial=$(sql "SELECT count(*) FROM run r WHERE $shape <> '$shapes'")
count() { cat "$@" 2> /dev/null | wc -l; }
retried=$(count "$work"/w*.retried)
writer_errors=$(count "$work"/w*.failed)
transient=$(count "$work"/w*.errors)
reads=$(count "$work"/r*.reads)
reader_failures=$(count "$work/reader-failures")

echo "$name: $writers writers on $hosts hosts x $files files (one perfdb process a file) in ${elapsed}s beside $hosts readers ($reads reads); host 2's link cut for ${cut_time}s, the server restarted (-m immediate) in ${restart_time}s after $at files: $stored runs stored ($expected expected), $lost lost, $duplicated duplicated, $unexpected unexpected, $partial partial, $retried files retried after $transient failed attempts, $writer_errors writer errors after retries, $reader_failures reader failures"
if [ "$transient" != 0 ]; then
    # Why attempts failed (the distinct messages, numbers masked).
    cat "$work"/w*.errors | sed -E 's/^w[0-9]+ \([^)]*\) file [0-9]+ attempt [0-9]+ at [0-9.]+s: //' \
        | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -5 | sed 's/^ */  failed attempts: /'
fi
status=0
for figure in lost duplicated unexpected partial writer_errors reader_failures; do
    if [ "${!figure}" != 0 ]; then echo "FAILED: $name: ${!figure} ${figure//_/ }"; status=1; fi
done
if [ "$status" != 0 ]; then
    cat "$work"/w*.failed "$work/reader-failures" 2> /dev/null | head -5
    cat "$work"/w*.errors 2> /dev/null | head -5
fi
exit $status
