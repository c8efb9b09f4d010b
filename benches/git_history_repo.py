#!/usr/bin/env python3
"""Builds a large git repository reproducibly, for benchmarking
`keygate history` against `git cat-file --batch-all-objects --batch`.

Usage: python3 benches/git_history_repo.py SRC_DIR OUT_REPO
  e.g. python3 benches/git_history_repo.py ~/.cargo/registry/src/*/ /tmp/big

Replays every file under SRC_DIR (sorted) as history on `main`: each file
is added with its first half in one commit and completed in a later one,
so a tree of N files gives up to 2N commits. Every 500 files a side branch of
three commits (each editing a file) is merged back with a merge commit.
A few AWS-looking keys are planted (added, then removed) so the audit has
findings. Dates and identities are fixed: the same SRC_DIR gives the same
repository, object for object.
"""
import os
import subprocess
import sys

EPOCH = 1_600_000_000
KEYS = ["AKIAAU4PCZL6HT4DTCBS", "AKIAQ3EGRKW7X2Z5NDPL", "AKIALHLPDTBKB43A7GQS"]


def files(root):
    out = []
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if "\n" in rel or rel.startswith('"') or not os.path.isfile(p) or os.path.islink(p):
                continue
            out.append((rel, p))
    return out


def main():
    src, repo = sys.argv[1], sys.argv[2]
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    w = fi.stdin.write
    state = {"mark": 0, "t": EPOCH}

    def commit(ref, msg, changes, parent=None, merge=None):
        state["mark"] += 1
        state["t"] += 60
        mark = state["mark"]
        who = "Dev %d <dev%d@example.com> %d +0000\n" % (mark % 7, mark % 7, state["t"])
        w(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
        w(b"author " + who.encode() + b"committer " + who.encode())
        m = msg.encode()
        w(b"data %d\n%s\n" % (len(m), m))
        if parent:
            w(b"from :%d\n" % parent)
        if merge:
            w(b"merge :%d\n" % merge)
        for path, data in changes:
            if data is None:
                w(b"D %s\n" % path.encode())
            else:
                w(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(data)))
                w(data)
                w(b"\n")
        return mark

    last = None
    pending = None
    n = 0
    for rel, p in files(src):
        with open(p, "rb") as f:
            data = f.read()
        if len(data) > 4 << 20:
            continue
        lines = data.splitlines(keepends=True)
        half = b"".join(lines[: len(lines) // 2]) if len(lines) > 8 else data
        last = commit("refs/heads/main", "add " + rel, [(rel, half)])
        n += 1
        if pending:
            last = commit("refs/heads/main", "complete " + pending[0], [pending])
        pending = (rel, data) if half != data else None
        if n % 500 == 0:
            side = last
            for i in range(3):
                side = commit("refs/heads/side", "side %d.%d" % (n, i),
                              [("side/notes-%d.txt" % n, ("note %d %d\n" % (n, i)).encode() * (i + 1))],
                              parent=side if i else last)
            last = commit("refs/heads/main", "merge side %d" % n, [], parent=last, merge=side)
        if n % 4000 == 0:
            k = KEYS[(n // 4000) % len(KEYS)]
            body = ("[default]\naws_access_key_id = %s\n" % k).encode()
            last = commit("refs/heads/main", "add credentials %d" % n, [("config/creds-%d.ini" % n, body)])
            last = commit("refs/heads/main", "remove credentials %d" % n, [("config/creds-%d.ini" % n, None)])
    if pending:
        commit("refs/heads/main", "complete", [pending])
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", repo, "checkout", "-q", "main"], check=True)
    # Pack as a real repository would be (fast-import's packs are loose).
    subprocess.run(["git", "-C", repo, "gc", "-q", "--prune=now"], check=True)


if __name__ == "__main__":
    main()
