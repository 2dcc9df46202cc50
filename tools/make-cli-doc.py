#!/usr/bin/env python3
"""Renders docs/cli.md from docs/cli.template.md: every line `$ perfdb ARGS [| head -N]` inside a
```console block is run against a fresh demo database (tools/demo-db.sh) and followed by its
real output and exit code. Usage: tools/make-cli-doc.py PERFDB_BINARY"""
import os, re, shlex, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
perfdb = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp()
db = os.path.join(work, "demo.sqlite")
subprocess.run([os.path.join(root, "tools/demo-db.sh"), perfdb, db], check=True)
env = dict(os.environ, PERFDB_DB="demo.sqlite", COLUMNS="100")
for key in list(env):
    if key.startswith(("GITHUB_", "GITLAB_", "CI_", "BUILDKITE", "CIRCLE", "JENKINS", "TF_BUILD")):
        del env[key]
# Paths in the examples are relative; the work folder is no git work tree, so no git context.
os.symlink(os.path.join(root, "Tests"), os.path.join(work, "Tests"))
out = []
for line in open(os.path.join(root, "docs/cli.template.md")):
    match = re.match(r"^\$ perfdb (.*?)(?: \| head -(\d+))?$", line.rstrip("\n"))
    if not match:
        out.append(line)
        continue
    args, head = match.group(1), match.group(2)
    argv = [perfdb] + [a.replace("FIXTURES", "Tests/Fixtures") for a in shlex.split(args)]
    result = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
    text = result.stdout + result.stderr
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if head and len(lines) > int(head):
        lines = lines[: int(head)] + ["…"]
    out.append("$ perfdb " + args.replace("FIXTURES", "Tests/Fixtures") + "\n")
    out.extend(l + "\n" for l in lines)
    if result.returncode != 0:
        out.append(f"[exit code {result.returncode}]\n")
open(os.path.join(root, "docs/cli.md"), "w").write("".join(out))
print("docs/cli.md")
