#!/usr/bin/env bash
# Terminal restoration under signals (issue #14 item 10), checked in a real terminal (tmux):
# SIGHUP ends twinview with the alternate screen left, the cursor shown and the line
# discipline canonical again; Ctrl-Z gives the shell a normal terminal, and after `fg` keys
# reach twinview again (a tab switch shows). Exit 1 on the first failed check.
#
#   scripts/signals.sh [path/to/twinview]     # default: target/debug/twinview
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/debug/twinview}"
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 2; }
[ -x "$BIN" ] || { echo "no $BIN (cargo build first)" >&2; exit 2; }
S="twinview-signals-$$"
trap 'tmux kill-session -t "$S" 2>/dev/null || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
state() { tmux display -p -t "$S" '#{alternate_on} #{cursor_flag}'; }
wait_for() { # wait_for TEXT: at most 20 s for TEXT on screen
  for _ in $(seq 1 80); do tmux capture-pane -t "$S" -p | grep -q -- "$1" && return 0; sleep 0.25; done
  fail "\"$1\" never showed"
}

tmux new-session -d -s "$S" -x 100 -y 30 "bash --norc"
tmux send-keys -t "$S" "$BIN demo; stty -a | grep -o -- '-\\?icanon' | sed 's/^/LINE:/'" Enter
wait_for "1 Sensors"
[ "$(state)" = "1 0" ] || fail "running: expected the alternate screen and a hidden cursor, got $(state)"
kill -HUP "$(pgrep -f "$BIN demo" | head -1)"
wait_for "^LINE:"   # the output, not the typed command (which also says LINE:)
tmux capture-pane -t "$S" -p | grep -q "LINE:icanon" || { tmux capture-pane -t "$S" -p | grep -v "^$" | tail -5 >&2; fail "after SIGHUP the terminal is not canonical"; }
[ "$(state)" = "0 1" ] || fail "after SIGHUP: expected the normal screen and a cursor, got $(state)"
echo "SIGHUP: terminal restored"

tmux send-keys -t "$S" "clear; $BIN demo" Enter
wait_for "1 Sensors"
tmux send-keys -t "$S" C-z
wait_for "Stopped"
[ "$(state)" = "0 1" ] || fail "after Ctrl-Z: expected the normal screen and a cursor, got $(state)"
tmux send-keys -t "$S" "fg" Enter
wait_for "1 Sensors"
[ "$(state)" = "1 0" ] || fail "after fg: expected the alternate screen, got $(state)"
tmux send-keys -t "$S" "3"
wait_for "┌ Jobs"
tmux send-keys -t "$S" "q"
sleep 1
[ "$(state)" = "0 1" ] || fail "after q: expected the normal screen and a cursor, got $(state)"
echo "Ctrl-Z and fg: terminal given back and taken again, keys work"
