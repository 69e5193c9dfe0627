# Sourced by the scripts that start the server: `listening_addr LOG PID SECONDS NAME` waits until
# the server whose stderr goes to LOG logs `listening on http://ADDR`, and prints ADDR. It fails
# (showing the log) when the process exits first or SECONDS pass.
listening_addr() {
  local log=$1 pid=$2 secs=$3 name=$4 addr=""
  for _ in $(seq 1 $((secs * 10))); do
    addr=$(grep -o 'listening on http://[0-9.:]*' "$log" 2>/dev/null | head -1 | sed 's/listening on //') || true
    [ -n "$addr" ] && { echo "$addr"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "$name: the server exited" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "$name: the server did not start within $secs s" >&2
  cat "$log" >&2
  return 1
}
