# moto_server for shell tests and benchmarks: sourced. Starts it on a free
# port of 127.0.0.1, waits until it listens, stops it by its PID.
#   moto_start NAME LOGDIR [VAR=VALUE ...]   sets NAME_pid and NAME_endpoint
#   moto_stop PID

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

moto_start() {
  local name=$1 logdir=$2 port pid
  shift 2
  port=$(free_port)
  env "$@" moto_server -H 127.0.0.1 -p "$port" >"$logdir/moto-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf -v "${name}_pid" %s "$pid"
      printf -v "${name}_endpoint" %s "http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "moto_server ($name) did not start; its log:" >&2
  cat "$logdir/moto-$name.log" >&2
  kill "$pid" 2>/dev/null
  return 1
}

moto_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
