#!/usr/bin/env bash
# zstore-monitor's live view in a terminal (a tmux pane of 120 x 40): the
# whole cluster at once, a killed bucket shown dead and its death in the
# events, resizes followed, a gateway restart followed, colours unless
# NO_COLOR is set, and q or Ctrl-C quits and gives the terminal back as it
# was.
source "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || fail "tmux is missing: run scripts/deps.sh test"

# A tmux server of our own, stopped whatever happens, and its socket gone
TMUX_NAME="zstore-$TEST_NAME-$$"
TMUX_SOCKET="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_NAME"
at_cleanup 'tmux -L "$TMUX_NAME" kill-server; rm -f "$TMUX_SOCKET"'
# Panes stay when their program exits, for its exit status and the screen
# it leaves
echo "set-option -g remain-on-exit on" >"$WORK/tmux.conf"
tmx () {
    tmux -L "$TMUX_NAME" -f "$WORK/tmux.conf" "$@"
}

screen () {
    tmx capture-pane -p -t view
}

shows () {
    grep -Eq -- "$1" <<<"$(screen)"
}

# The pane holds colours (or other SGR sequences)
coloured () {
    [[ "$(tmx capture-pane -p -e -t view)" == *$'\033['* ]]
}

# The monitor runs under a shell that writes down its exit status (tmux
# itself may be slow to tell it): the shell's INT trap lets Ctrl-C reach
# the monitor alone
monitor_command=$(printf 'trap : INT; %q -g %q --events %q --interval 200 2>>%q; echo $? >%q' \
    "$ZS_BIN/zstore-monitor" "$CLIENT_EP" "$EVENT_EP" "$WORK/monitor.log" "$WORK/exit-status")

exited () {
    [ "$(cat "$WORK/exit-status" 2>/dev/null)" = "$1" ]
}

start_cluster 3
tmx new-session -d -x 120 -y 40 -s view "$monitor_command"
wait_until 10 "every bucket on screen" 'shows "^b1 .* alive " && shows "^b2 .* alive " && shows "^b3 .* alive "'
shows "zstore-monitor +$CLIENT_EP +up " || fail "no title: $(screen)"
shows "3 alive  0 suspect  0 dead  3 total" || fail "no totals: $(screen)"
shows "^BUCKET +ZONE +ADDRESS +STATE +LAST HB +RTT +FILES +USED +FREE +HEARTBEATS" \
    || fail "no column titles: $(screen)"
shows "^EVENTS" || fail "no events: $(screen)"
shows " q quit " || fail "no footer: $(screen)"
[ "$(screen | wc -l)" -eq 40 ] || fail "the view is not 40 rows"
ok "the whole cluster shows at once"

kill_process b2
wait_until 10 "b2 dead on screen" 'shows "^b2 .* dead "'
wait_until 5 "b2's death in the events" 'shows "b2 dead \\(silent [0-9]+ ms\\)"'
shows "2 alive  0 suspect  1 dead  3 total" || fail "totals after b2 died: $(screen)"
ok "the killed bucket shows dead, and its death in the events"

tmx resize-window -t view -x 70 -y 20
wait_until 5 "the view to fit 70 x 20" \
    'screen | tail -n 1 | grep -q " q quit " && ! shows "ADDRESS" && shows "^b2 .* dead "'
[ "$(screen | wc -l)" -eq 20 ] || fail "the view is not 20 rows after the resize"
ok "the view follows a resize"

start_bucket b2
wait_until 10 "b2 alive again" 'shows "^b2 .* alive "'
coloured || fail "no colours on a terminal"
ok "b2 shows alive again when it is back"

kill_process gateway
wait_until 10 "the gateway shown unreachable" 'shows "zstore-monitor +$CLIENT_EP +UNREACHABLE for "'
start_gateway
wait_until 15 "the view in sync with the new gateway" \
    'shows "zstore-monitor +$CLIENT_EP +up " && shows "3 alive  0 suspect  0 dead  3 total"'
ok "the view shows the gateway unreachable, and follows it when it is back"

tmx send-keys -t view q
wait_until 5 "q to quit" exited 0
! shows "BUCKET|zstore-monitor" || fail "the terminal still shows the view after q: $(screen)"
ok "q quits and gives the terminal back"

rm -f "$WORK/exit-status"
tmx respawn-pane -k -t view "export NO_COLOR=1; $monitor_command"
wait_until 10 "the view again" 'shows "^b3 .* alive "'
! coloured || fail "colours despite NO_COLOR"
tmx send-keys -t view C-c
wait_until 5 "Ctrl-C to quit" exited 0
! shows "BUCKET|zstore-monitor" || fail "the terminal still shows the view after Ctrl-C: $(screen)"
ok "NO_COLOR: no colours; Ctrl-C quits and gives the terminal back"
