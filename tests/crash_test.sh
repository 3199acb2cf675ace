#!/bin/bash
# Kills `hebb train` with SIGKILL at random moments (some of them inside a checkpoint write, some
# just after one) and resumes it each time. After every kill: each *.safetensors in the folder
# loads, temporary files are never named like a checkpoint, and metrics.jsonl holds epochs 1..k
# once each, with the values of an uninterrupted run. At the end the resumed run must hold exactly
# the arrays (weights and optimizer state) and metadata of the uninterrupted run.
#
#   tests/crash_test.sh HEBB_EXE    (CRASH_SEED=N to replay the same kill schedule)
set -u
hebb=$1
seed=${CRASH_SEED:-$(( (RANDOM << 15) | RANDOM ))}
RANDOM=$seed
echo "crash test: seed $seed (CRASH_SEED=$seed $0 $hebb replays this kill schedule)"

epochs=40
settings="--data spirals --arch 2-512-512-2 --epochs $epochs --val 100 --threads 1 --dropout 0.1 --schedule exp --seed 5"
kills_wanted=12
work=$(mktemp -d "${TMPDIR:-/tmp}/hebb_crash.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
whole=$work/whole
run=$work/killed
history=""  # what each kill did, printed when something fails
context=""

fail() {
    echo "FAIL${context:+ ($context)}: $*"
    printf '%b\n' "$history"
    exit 1
}

now_us() { echo $(( ${EPOCHREALTIME/./} )); }  # microseconds

# A metrics line without the fields that measure time: what must repeat exactly.
metrics_values() { sed -e 's/"samples_per_s":[^,]*,//' -e 's/"seconds":[^,]*,//' "$1"; }

# The checkpoint's header (tensor names, shapes, offsets and __metadata__) and its data.
header_bytes() { echo $(( $(od -An -t u8 -N 8 "$1" | tr -d ' ') + 8 )); }
same_header() { cmp -s <(head -c "$(header_bytes "$1")" "$1") <(head -c "$(header_bytes "$2")" "$2"); }
same_data() { cmp -s <(tail -c +"$(( $(header_bytes "$1") + 1 ))" "$1") <(tail -c +"$(( $(header_bytes "$2") + 1 ))" "$2"); }

# The uninterrupted run, timed so that the kill delays scale with this machine (and sanitizers).
start=$(now_us)
"$hebb" train $settings --out "$whole" </dev/null >"$work/whole.log" 2>&1 || { cat "$work/whole.log"; fail "the uninterrupted run failed"; }
epoch_us=$(( ($(now_us) - start) / epochs ))
echo "uninterrupted run: $epochs epochs, about $(( epoch_us / 1000 )) ms per epoch"
metrics_values "$whole/metrics.jsonl" >"$work/whole.values"

alive() { [ -e "/proc/$pid/fd/0" ]; }  # false once the process has exited, even as a zombie

# Modes of a kill, so that some land inside write_file_atomic and some right after a rename.
wait_random() {  # anywhere in the next few epochs
    local us=$(( (RANDOM * 32768 + RANDOM) % (3 * epoch_us + 1) ))
    local deadline=$(( $(now_us) + us ))
    while alive && [ "$(now_us)" -lt "$deadline" ]; do sleep 0.002; done
    what="after $(( us / 1000 )) ms"
}
# The temporary file of a checkpoint being written now (not one a kill left behind), or nothing.
fresh_temporary() {
    tmp=""
    local f
    for f in "$run"/$1.tmp.*; do
        case "$stale" in *"|${f##*/}|"*) continue ;; esac
        [ -e "$f" ] && tmp=$f
    done
}
wait_in_write() {  # while a checkpoint's temporary file exists, after skipping 0-2 such writes
    local skip=$(( RANDOM % 3 ))
    while alive; do
        fresh_temporary '*.safetensors'
        if [ -n "$tmp" ]; then
            [ "$skip" -eq 0 ] && break
            while [ -e "$tmp" ] && alive; do :; done
            skip=$(( skip - 1 ))
        fi
    done
    what="while ${tmp##*/} existed"
}
wait_after_rename() {  # the moment last.safetensors is renamed into place, before metrics.jsonl grows
    local skip=$(( RANDOM % 3 ))
    while alive; do
        fresh_temporary last.safetensors
        if [ -n "$tmp" ]; then
            while [ -e "$tmp" ] && alive; do :; done
            [ "$skip" -eq 0 ] && break
            skip=$(( skip - 1 ))
        fi
    done
    what="just after last.safetensors was renamed"
}
wait_after_line() {  # a random moment up to an epoch after metrics.jsonl grew
    local lines
    lines=$(cat "$run/metrics.jsonl" 2>/dev/null | wc -l)
    while alive && [ "$(cat "$run/metrics.jsonl" 2>/dev/null | wc -l)" -le "$lines" ]; do sleep 0.001; done
    local us=$(( (RANDOM * 32768 + RANDOM) % (epoch_us + 1) ))
    sleep "$(printf '0.%06d' "$us")"
    what="$(( us / 1000 )) ms after a metrics line"
}

# The folder after a kill: checkpoints load, temporaries are harmless, metrics are consistent.
check_folder() {
    local f status
    for f in "$run"/*.safetensors; do
        [ -e "$f" ] || continue
        "$hebb" inspect "$f" >"$work/inspect.log" 2>&1 || { cat "$work/inspect.log"; fail "${f##*/} does not load"; }
    done
    for f in "$run"/*.tmp.*; do
        [ -e "$f" ] || continue
        case "$f" in *.safetensors) fail "a temporary file is named like a checkpoint: ${f##*/}" ;; esac
        # A half-written file, if anyone opened it, must be refused, never crash the reader.
        case "$f" in *.safetensors.tmp.*)
            "$hebb" inspect "$f" >"$work/inspect.log" 2>&1
            status=$?
            [ "$status" -le 1 ] || { cat "$work/inspect.log"; fail "hebb inspect ${f##*/} ended with status $status"; }
        esac
    done
    epoch=0 lines=0
    [ -f "$run/last.safetensors" ] && epoch=$("$hebb" inspect "$run/last.safetensors" | sed -n 's/^training run: epoch \([0-9]*\).*/\1/p')
    [ -f "$run/metrics.jsonl" ] || return 0
    lines=$(wc -l <"$run/metrics.jsonl")
    # Epochs 1..lines, once each and in order, with the uninterrupted run's values.
    metrics_values "$run/metrics.jsonl" | cmp -s - <(head -n "$lines" "$work/whole.values") || {
        echo "metrics.jsonl:"; cut -c1-40 "$run/metrics.jsonl"
        fail "metrics.jsonl is not epochs 1..$lines with the uninterrupted run's values"
    }
    [ "$lines" -ge $(( epoch - 1 )) ] && [ "$lines" -le $(( epoch + 1 )) ] ||
        fail "metrics.jsonl has $lines epochs but last.safetensors is at epoch $epoch"
}

kills=0
in_write=0  # kills that left a checkpoint's temporary file behind
previous_temporaries=0
finished=0
modes=(wait_random wait_in_write wait_after_rename wait_after_line)
while [ "$finished" -eq 0 ]; do
    if [ -f "$run/last.safetensors" ] && [ -f "$run/config.json" ]; then
        command=(train --resume "$run")
    else  # killed before the first checkpoint: nothing to resume, start again
        command=(train $settings --out "$run" --overwrite)
    fi
    stale="|$(cd "$run" 2>/dev/null && ls -A | tr '\n' '|')"
    "$hebb" "${command[@]}" </dev/null >"$work/run.log" 2>&1 &
    pid=$!
    if [ "$kills" -lt "$kills_wanted" ]; then
        mode=${modes[$(( RANDOM % ${#modes[@]} ))]}
        $mode
        kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null  # without the shell's "Killed" notice
    status=$?
    pid=""
    if [ "$status" -eq 137 ]; then
        kills=$(( kills + 1 ))
        history="$history  kill $kills: ${command[0]} ${command[1]}, $what"
        temporaries=$(find "$run" -name '*.safetensors.tmp.*' | wc -l)
        [ "$temporaries" -gt "$previous_temporaries" ] && in_write=$(( in_write + 1 )) && history="$history (inside a write)"
        previous_temporaries=$temporaries
        context="after kill $kills"
        check_folder
        history="$history: last.safetensors at epoch $epoch, metrics.jsonl $lines lines\n"
    elif [ "$status" -eq 0 ]; then
        finished=1
    else
        cat "$work/run.log"
        fail "hebb ${command[*]} ended with status $status"
    fi
done
printf '%b' "$history"
context="after the run finished"

[ "$kills" -ge 8 ] || fail "only $kills kills landed before the run ended; make the run longer"
[ "$in_write" -ge 1 ] || fail "no kill landed inside a checkpoint write (none left a *.safetensors.tmp.* behind)"
check_folder
[ "$(wc -l <"$run/metrics.jsonl")" -eq "$epochs" ] || fail "metrics.jsonl does not hold $epochs epochs"
for f in last best; do
    same_data "$whole/$f.safetensors" "$run/$f.safetensors" ||
        fail "$f.safetensors: the arrays differ from the uninterrupted run's"
    same_header "$whole/$f.safetensors" "$run/$f.safetensors" ||
        fail "$f.safetensors: same arrays, but the header (metadata) differs from the uninterrupted run's"
done
echo "stale temporary files left in the folder: $(find "$run" -name '*.tmp.*' | wc -l)"
echo "crash test: $kills kills, $in_write of them inside a checkpoint write;" \
     "last.safetensors and best.safetensors match the uninterrupted run bit for bit"
