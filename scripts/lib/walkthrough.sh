# Sourced by scripts/container-test and scripts/restore-drill: the README's zoom-sim walk-through
# as functions (start zoom-sim, wait for a daemon, register an app, connect a user, mint a join
# token and check it with zoom-sim), so both scripts drive the daemon the way an operator would.
#
# Secrets never reach a command line (where `ps` shows them) nor the output: curl reads the admin
# token's header and the bot URLs from its config on stdin (-K -). Needs curl and jq.

# Free TCP port on loopback (the kernel picks; a race with another process is possible but rare).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sim_start BIN LOG: starts zoom-sim on a free loopback port; sets SIM_PID and Z (its URL).
sim_start() {
  local bin=$1 log=$2 line=""
  "$bin" --port 0 > "$log.out" 2> "$log" &
  SIM_PID=$!
  for _ in $(seq 1 100); do
    line=$(head -n1 "$log.out" 2>/dev/null || true)
    case "$line" in "zoom-sim listening on "*) break ;; esac
    sleep 0.1
  done
  case "$line" in "zoom-sim listening on "*) ;; *) echo "zoom-sim did not start (see $log)" >&2; return 1 ;; esac
  Z=${line#zoom-sim listening on }
}

# wait_ready URL SECONDS: until GET URL/readyz answers 200.
wait_ready() {
  local url=$1 seconds=$2 i
  for i in $(seq 1 $((seconds * 5))); do
    curl -sf -o /dev/null "$url/readyz" && return 0
    sleep 0.2
  done
  echo "no 200 from $url/readyz within ${seconds}s" >&2
  return 1
}

# admin_curl URL [curl args...]: the admin API, with the token from $ADMIN_TOKEN.
admin_curl() {
  local url=$1
  shift
  printf 'header = "Authorization: Bearer %s"\nurl = "%s"\n' "$ADMIN_TOKEN" "$url" | curl -sf -K - "$@"
}

# connect_user D: registers an app with the daemon at D, creates in zoom-sim (at $Z) an account, a
# user, the same app subscribed to the daemon's webhook URL and a meeting, connects the user
# through the OAuth flow as a browser would, and waits until the meeting is mapped. Sets APP,
# ZOOM_USER and MEETING.
connect_user() {
  local d=$1 account
  APP=$(admin_curl "$d/api/v2/zoom-oauth-apps/" -H 'Content-Type: application/json' \
    -d '{"kind":"user_level","client_id":"cid","client_secret":"csecret","webhook_secret":"wsecret"}' | jq -r .id)
  [ -n "$APP" ] && [ "$APP" != null ] || { echo "registering the app failed" >&2; return 1; }
  account=$(curl -sf "$Z/_sim/accounts" -d '{}' | jq -r .id)
  ZOOM_USER=$(curl -sf "$Z/_sim/users" -d "{\"account_id\":\"$account\"}" | jq -r .id)
  curl -sf -o /dev/null "$Z/_sim/apps" -d "{\"kind\":\"user_level\",\"client_id\":\"cid\",\"client_secret\":\"csecret\",
    \"webhook\":{\"url\":\"$d/api/v2/zoom-oauth-apps/$APP/webhook\",\"secret_token\":\"wsecret\"}}"
  curl -sf -o /dev/null -XPUT "$Z/_sim/apps/cid/authorizer" -d "{\"user_id\":\"$ZOOM_USER\"}"
  # The consent redirects straight back to the daemon's callback: one connected credential.
  curl -sfL -o /dev/null "$d/zoom/oauth/start?app=$APP" || { echo "the OAuth flow failed" >&2; return 1; }
  MEETING=$(curl -sf "$Z/_sim/meetings" -d "{\"host_id\":\"$ZOOM_USER\"}" | jq -r .id)
  # meeting.created reaches the daemon as a signed webhook.
  for _ in $(seq 1 100); do
    admin_curl "$d/api/v2/zoom-meetings-to-credentials/?meeting_id=$MEETING" | grep -q '"results":\[{' && return 0
    sleep 0.2
  done
  echo "meeting $MEETING was never mapped" >&2
  return 1
}

# credential_ids D: the daemon's credential ids, one a line, sorted.
credential_ids() {
  admin_curl "$1/api/v2/zoom-oauth-credentials/" | jq -r '.results[].id' | sort
}

# mint_join D MEETING: a join token from the bot endpoint, checked with zoom-sim (a join token for
# local recording of that meeting, not expired). Prints the grant it was minted under (zoom-sim's
# id of the OAuth authorization), never the token.
mint_join() {
  local d=$1 meeting=$2 token info
  token=$(printf 'url = "%s/zoom/join-token?secret=%s&meeting_id=%s"\n' "$d" "$BOT_SECRET" "$meeting" | curl -sf -K -) \
    || { echo "no join token for meeting $meeting" >&2; return 1; }
  info=$(printf 'url = "%s/_sim/tokens/%s"\n' "$Z" "$token" | curl -sf -K -) \
    || { echo "zoom-sim does not know the token it was handed" >&2; return 1; }
  if [ "$(jq -r '.kind' <<<"$info")" != join_local_recording ] || [ "$(jq -r '.meeting_id' <<<"$info")" != "$meeting" ] \
    || [ "$(jq -r '.expired' <<<"$info")" != false ]; then
    echo "the token is not a live join token for meeting $meeting: $(jq -c '{kind, meeting_id, expired}' <<<"$info")" >&2
    return 1
  fi
  jq -r .grant_id <<<"$info"
}
