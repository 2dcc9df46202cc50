#!/usr/bin/env python3
"""Renders docs/cli.md from docs/cli.template.md: every line `$ perfdb ARGS [| head -N]` (or
`| grep -E 'PATTERN'`, the lines matching PATTERN as a Python regular expression) inside a
```console block is run against a fresh demo database (tools/demo-db.sh) and followed by its
real output and exit code. When the template uses `$PG`, a throw-away PostgreSQL cluster
(tools/pg-cluster.sh) serves an empty database `perf`; `$PG` stands for its URL (the password
comes from PGPASSWORD) and is printed as `$PG`, and the cluster's port is printed as 5432.
Usage: tools/make-cli-doc.py PERFDB_BINARY"""
import io, os, re, shlex, shutil, signal, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
perfdb = os.path.abspath(sys.argv[1])
template = open(os.path.join(root, "docs/cli.template.md")).read()
work = tempfile.mkdtemp()
db = os.path.join(work, "demo.sqlite")
subprocess.run([os.path.join(root, "tools/demo-db.sh"), perfdb, db], check=True)
env = dict(os.environ, PERFDB_DB="demo.sqlite", COLUMNS="100")
for key in list(env):
    if key.startswith(("GITHUB_", "GITLAB_", "CI_", "BUILDKITE", "CIRCLE", "JENKINS", "TF_BUILD")):
        del env[key]
    elif key.startswith("PG"):  # libpq's defaults would change the examples' URLs
        del env[key]
# Paths in the examples are relative; the work folder is no git work tree, so no git context.
os.symlink(os.path.join(root, "Tests"), os.path.join(work, "Tests"))
# The examples judge with the demo team's configuration (its SLOs, advice and chaos targets).
shutil.copy(os.path.join(root, "demo", "perfdb.yml"), os.path.join(work, "perfdb.yml"))

# Starts the cluster, creates the database, prints "PORT PID PASSWORD", and stops the server by
# its PID when its standard input closes (also when this script dies).
PG_SERVER = r"""
source "$1/tools/pg-cluster.sh"
trap pg_cluster_stop EXIT
pg_cluster_start "$2" || exit 1
echo "CREATE DATABASE perf" | pg_cluster_psql postgres || exit 1
echo "$PG_PORT $PG_PID $PGPASSWORD"
read -r _
"""


def start_cluster():
    # The cluster's folder is owned by nobody when run as root: its parent must be traversable.
    parent = tempfile.mkdtemp(prefix="perfdb-cli-doc-")
    os.chmod(parent, 0o755)
    server = subprocess.Popen(["bash", "-c", PG_SERVER, "bash", root, os.path.join(parent, "pg")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fields = server.stdout.readline().split()
    if len(fields) != 3:
        server.stdin.close()
        server.wait()
        shutil.rmtree(parent, ignore_errors=True)
        sys.exit("tools/make-cli-doc.py: the PostgreSQL cluster did not start")
    port, pid, password = fields
    return server, parent, port, int(pid), password


def stop_cluster(server, parent, pid):
    server.stdin.close()  # pg_cluster_stop: SIGINT to the server's PID, waits, removes its folder
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        try:  # pg_cluster_stop did not finish: stop the server by its PID here
            if open(f"/proc/{pid}/comm").read().strip() == "postgres":
                os.kill(pid, signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError):
            pass
    shutil.rmtree(parent, ignore_errors=True)


cluster = start_cluster() if "$PG" in template else None
try:
    if cluster:
        server, parent, port, pid, password = cluster
        pg_url = f"postgresql://perfdb@127.0.0.1:{port}/perf?sslmode=disable"
        env["PGPASSWORD"] = password
    out = []
    for line in io.StringIO(template):
        match = re.match(r"^\$ perfdb (.*?)(?: \| head -(\d+)| \| grep -E '(.*)')?$", line.rstrip("\n"))
        if not match:
            out.append(line)
            continue
        args, head, pattern = match.group(1), match.group(2), match.group(3)
        argv = [perfdb] + [a.replace("FIXTURES", "Tests/Fixtures") for a in shlex.split(args)]
        if cluster:
            argv = [a.replace("$PG", pg_url) for a in argv]
        result = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
        text = result.stdout + result.stderr
        if cluster:
            if password in text:
                sys.exit(f"tools/make-cli-doc.py: the password is in the output of: $ perfdb {args}")
            text = text.replace(f"127.0.0.1:{port}", "127.0.0.1:5432")
        lines = text.rstrip("\n").split("\n") if text.strip() else []
        if pattern:
            lines = [l for l in lines if re.search(pattern, l)]
        if head and len(lines) > int(head):
            lines = lines[: int(head)] + ["…"]
        shown = args.replace("FIXTURES", "Tests/Fixtures")
        out.append("$ perfdb " + shown + (f" | grep -E '{pattern}'" if pattern else "") + "\n")
        out.extend(l + "\n" for l in lines)
        if result.returncode != 0:
            out.append(f"[exit code {result.returncode}]\n")
finally:
    if cluster:
        stop_cluster(server, parent, pid)
    shutil.rmtree(work, ignore_errors=True)
open(os.path.join(root, "docs/cli.md"), "w").write("".join(out))
print("docs/cli.md")
