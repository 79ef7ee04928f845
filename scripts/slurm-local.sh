#!/usr/bin/env bash
# A real, private, single-node Slurm cluster (munged + slurmctld + slurmd) for tests, kept entirely
# under one directory ROOT and listening on loopback only. The recipe, the measurements and the
# pitfalls behind every setting are in shared/design/SLURM-LOCAL.md.
#
#   scripts/slurm-local.sh start ROOT [--cpus N]   start it (or check a running one) and print
#                                                  "export SLURM_CONF=ROOT/slurm.conf"
#   scripts/slurm-local.sh stop ROOT               cancel its jobs, stop its daemons
#   scripts/slurm-local.sh status ROOT             "up" (exit 0) or "down" (exit 1)
#
# Use:  eval "$(scripts/slurm-local.sh start /tmp/slurm)"; sbatch ...; scripts/slurm-local.sh stop /tmp/slurm
# Environment: SLURM_LOCAL_TIMEOUT (seconds to wait for readiness, default 60).
#
# Progress goes to stderr; only the export line goes to stdout, so the output can be eval'ed.
#
# Ready means: scontrol ping says UP, the node is idle, and a real `srun true` ran (about 0.4 s
# after start here). slurmctld first schedules batch jobs about 3 s after it starts, so the first
# sbatch job waits until then; later ones start within the scheduler's 1 s cycle (a trivial job's
# round trip is about 1 s).
set -euo pipefail

usage() {
  echo "usage: $0 start ROOT [--cpus N] | stop ROOT | status ROOT" >&2
  exit 2
}

started_ns=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - started_ns) / 1000000)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
say() { echo "slurm-local: $*" >&2; }
die() {
  echo "slurm-local: error: $*" >&2
  exit 1
}

(($# >= 2)) || usage
command="$1"
shift
root_arg="$1"
shift
cpus=8  # more than this machine's cores (config_overrides) so several 2-rank jobs run at once
while (($#)); do
  case "$1" in
    --cpus)
      (($# >= 2)) || usage
      cpus="$2"
      shift 2
      ;;
    --cpus=*)
      cpus="${1#--cpus=}"
      shift
      ;;
    *) usage ;;
  esac
done
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive integer, got '$cpus'"
case "$command" in
  start | stop | status) ;;
  *) usage ;;
esac

# Every path goes into slurm.conf and daemon command lines, where whitespace would split it.
[[ "$root_arg" != *[[:space:]]* ]] || die "ROOT must not contain whitespace: '$root_arg'"
if [ ! -d "$root_arg" ]; then
  case "$command" in
    start) mkdir -p "$root_arg" ;;
    stop)
      say "no cluster at $root_arg (no such directory): nothing to stop"
      exit 0
      ;;
    status)
      echo "down: $root_arg (no such directory)"
      exit 1
      ;;
  esac
fi
ROOT="$(cd "$root_arg" && pwd -P)"
# A start wipes ROOT/spool and ROOT/tmp: never do that to a directory that is not ours. Ours: it
# has our marker, or our slurm.conf (written before the marker existed), or nothing at all.
if [ ! -e "$ROOT/.slurm-local" ]; then
  [ -z "$(ls -A "$ROOT")" ] || grep -qs '^# Private single-node cluster written by scripts/slurm-local.sh' "$ROOT/slurm.conf" ||
    die "$ROOT is not empty and not a slurm-local cluster directory (no .slurm-local in it): give a new or empty directory"
  [ "$command" = status ] || echo "private Slurm cluster of scripts/slurm-local.sh" >"$ROOT/.slurm-local"
fi

CONF="$ROOT/slurm.conf"
RUN="$ROOT/run"    # pid records written by this script (the daemons' own pid files sit beside)
LOG="$ROOT/log"
MUNGE="$ROOT/munge"
SOCKET="$MUNGE/socket/munge.socket.2"
TIMEOUT="${SLURM_LOCAL_TIMEOUT:-60}"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "SLURM_LOCAL_TIMEOUT must be a whole number of seconds, got '$TIMEOUT'"
export SLURM_CONF="$CONF"  # every Slurm client below talks to this cluster, never a system one

# A unix socket path longer than sun_path (108 bytes) cannot be bound: fail with a reason, not
# with munged's cryptic one.
((${#SOCKET} < 108)) || die "ROOT is too long for munge's socket path ($SOCKET, ${#SOCKET} bytes, limit 107)"

for tool in munged mungekey slurmctld slurmd scontrol sinfo squeue scancel srun setsid flock timeout; do
  command -v "$tool" >/dev/null ||
    die "'$tool' not found: install slurm-wlm slurmctld slurmd slurm-client munge (scripts/setup.sh)"
done

# --- pid records --------------------------------------------------------------------------------

# Prints the recorded pid of daemon $1 when that process is alive and still ours: pids are reused
# within minutes here, so a recorded pid only counts when its command line names a path under ROOT
# (each daemon is started with its config, key or socket under ROOT).
owned_pid() {
  local name="$1" pid cmdline
  [ -f "$RUN/$name.pid" ] || return 1
  pid="$(<"$RUN/$name.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmdline="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$ROOT/"* ]] || return 1
  echo "$pid"
}

running_daemons() {
  local name n=0
  for name in munged slurmctld slurmd; do
    owned_pid "$name" >/dev/null && n=$((n + 1))
  done
  echo "$n"
}

# Is process $1 alive? A zombie (exited, not yet reaped by init, which some containers never do)
# counts as gone.
alive() {
  local state
  state="$({ cut -d')' -f2 <"/proc/$1/stat"; } 2>/dev/null)" && [[ "$state" != " Z"* ]]
}

# Waits up to $1 seconds for the processes $2... to end; fails if some are left.
wait_gone() {
  local tenths=$(($1 * 10)) pid i left
  shift
  for ((i = 0; ; i++)); do
    left=0
    for pid in "$@"; do
      alive "$pid" && left=1
    done
    ((left)) || return 0
    ((i < tenths)) || return 1
    sleep 0.1
  done
}

# Stops the daemons by their recorded pids: SIGTERM to all at once (one after the other takes
# seconds longer), then SIGKILL to any left after $1 seconds (default 10). Never by name: other
# clusters and other engineers' processes share this machine.
stop_daemons() {
  local grace="${1:-10}" name pid pids=()
  for name in slurmd slurmctld munged; do
    if pid="$(owned_pid "$name")"; then
      pids+=("$pid")
      ((grace == 0)) || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  if ((grace == 0)) || ! wait_gone "$grace" "${pids[@]}"; then
    for name in slurmd slurmctld munged; do
      if pid="$(owned_pid "$name")"; then
        ((grace == 0)) || say "$name (pid $pid) ignored SIGTERM for $grace s: sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
    wait_gone 5 "${pids[@]}" || say "warning: some of pids ${pids[*]} survived SIGKILL"
  fi
  rm -f "$RUN/munged.pid" "$RUN/slurmctld.pid" "$RUN/slurmd.pid"
}

# --- logs ---------------------------------------------------------------------------------------

# The end of each daemon's log: its log file, else what it printed (in the foreground slurmctld
# and slurmd print their log too, munged only prints).
log_tails() {
  local name f
  for name in munged slurmctld slurmd; do
    for f in "$LOG/$name.log" "$LOG/$name.out"; do
      [ -s "$f" ] || continue
      echo "---- last lines of $f" >&2
      tail -n 12 "$f" >&2
      break
    done
  done
}

fail_start() {
  echo "slurm-local: error: $*" >&2
  log_tails
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-local: note: running as '$(id -un)', not root; if the logs show permission errors," \
      "this machine's Slurm needs root (SlurmUser=root)" >&2
  fi
  echo "slurm-local: the cluster at $ROOT is left as it is; '$0 stop $ROOT' cleans it up" >&2
  exit 1
}

# --- ports --------------------------------------------------------------------------------------

# TCP ports bound on this machine (any state but TIME_WAIT, which SO_REUSEADDR may reuse).
ports_in_use() {
  local file local_addr state
  for file in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$file" ] || continue
    while read -r _ local_addr _ state _; do
      [ "$state" = 06 ] && continue
      echo $((16#${local_addr##*:}))
    done < <(tail -n +2 "$file")
  done
}

# Two free ports below the kernel's ephemeral range (32768+, where outgoing connections would
# take them). The start point is a hash of ROOT, so two clusters (CI and a developer) pick
# different ports, and one ROOT tends to get the same ports again.
pick_ports() {
  local used start port found=()
  used=" $(ports_in_use | sort -un | tr '\n' ' ') "
  start=$(($(cksum <<<"$ROOT" | cut -d' ' -f1) % 20000))
  for ((i = 0; i < 20000 && ${#found[@]} < 2; i++)); do
    port=$((10000 + (start + i) % 20000))
    [[ "$used" == *" $port "* ]] || found+=("$port")
  done
  ((${#found[@]} == 2)) || die "no free TCP ports between 10000 and 29999"
  echo "${found[@]}"
}

# --- configuration ------------------------------------------------------------------------------

write_config() {
  local ctld_port="$1" slurmd_port="$2" user="$3" memory
  # The node line must match what slurmd detects, except CPUs which config_overrides lets us raise.
  memory="$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
  memory="${memory:-1000}"
  : >"$ROOT/plugstack.conf"  # no SPANK plugins: do not pick up /etc/slurm/plugstack.conf
  cat >"$CONF" <<EOF
# Private single-node cluster written by scripts/slurm-local.sh for $ROOT; rewritten at every
# fresh start. Why each setting: shared/design/SLURM-LOCAL.md.
ClusterName=slurmlocal
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
# Bind 127.0.0.1, not 0.0.0.0.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$ROOT/spool/slurmctld
SlurmdSpoolDir=$ROOT/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.daemon.pid
SlurmdPidFile=$RUN/slurmd.daemon.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$ROOT/plugstack.conf
# Wiped at every fresh start: PMIx directories of an earlier cluster (whose job ids also started
# at 1) break srun.
TmpFS=$ROOT/tmp
# No cgroups, no systemd: plain process tracking.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# No slurmdbd: finished jobs are in this text file (sacct -c) and in scontrol for MinJobAge s.
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
MinJobAge=3600
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
# Start batch jobs at once (the default delay makes a trivial job take 3 s instead of 1 s).
SchedulerParameters=batch_sched_delay=0
# A job whose dependency can never be met is cancelled, not left pending forever.
DependencyParameters=kill_invalid_depend
# An impossible request is rejected at submission.
EnforcePartLimits=ALL
# scontrol requeue works; scancel takes effect within KillWait seconds.
JobRequeue=1
KillWait=2
ReturnToService=2
SlurmdParameters=config_overrides
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# --- daemons ------------------------------------------------------------------------------------

# Starts daemon $1 (command line follows) in its own session, in the foreground (so $! is the
# daemon itself: setsid does not fork in a non-interactive shell), with stdin and stdout away from
# ours (a caller like ctest waits for its pipe to close) and without our lock descriptor 9.
launch() {
  local name="$1"
  shift
  setsid "$@" </dev/null >"$LOG/$name.out" 2>&1 9>&- &
  local pid=$! i
  disown "$pid"  # not our job to report on (bash would print "Killed" after a failed start)
  echo "$pid" >"$RUN/$name.pid"
  # Until it has exec'd, the child's command line is still ours (no ROOT in it) and owned_pid would
  # take it for dead: wait for the exec (or the child's end, which wait_until then reports).
  for ((i = 0; i < 100; i++)); do
    owned_pid "$name" >/dev/null || ! [ -d "/proc/$pid" ] && break
    sleep 0.02
  done
}

# wait_until DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds. Fails the start
# with the daemons' log tails when a daemon exits or the deadline passes; returns 3 instead when a
# daemon exited because its port was taken meanwhile (the caller retries with other ports).
wait_until() {
  local what="$1" name
  shift
  while true; do
    for name in munged slurmctld slurmd; do
      if [ -f "$RUN/$name.pid" ] && ! owned_pid "$name" >/dev/null; then
        grep -qs 'Address already in use' "$LOG/$name.log" "$LOG/$name.out" && return 3
        fail_start "$name exited while waiting for $what"
      fi
    done
    "$@" && return 0
    ((SECONDS < deadline)) ||
      fail_start "timed out after ${TIMEOUT} s waiting for $what${last_srun_error:+ (srun said: $last_srun_error)}"
    sleep 0.1
  done
}

# Is something listening on 127.0.0.1:$1? (scontrol ping against a closed port retries for seconds.)
listening() {
  local hex
  hex="$(printf '0100007F:%04X' "$1")"
  grep -q "^ *[0-9]*: $hex 00000000:0000 0A " /proc/net/tcp
}
controller_up() {
  listening "$(sed -n 's/^SlurmctldPort=//p' "$CONF")" &&
    timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'
}
node_ready() {
  # idle, mixed or allocated; a trailing '*' (not responding), drain or down do not count.
  timeout 10 sinfo -h -N -n localhost -o %T 2>/dev/null | grep -Eqx 'idle|mixed|allocated'
}
srun_failures=0
last_srun_error=""
srun_works() {
  local out
  out="$(timeout 30 srun -N1 -n1 -t 1 -J slurm-local-ready true 2>&1)" && return 0
  # Said once, not at every retry; the timeout message repeats the last one.
  ((srun_failures++)) || say "srun true failed (retrying until ready): ${out:-no output}"
  last_srun_error="$out"
  return 1
}

wait_ready() {
  deadline=$((SECONDS + TIMEOUT))
  wait_until "scontrol ping to report the controller UP" controller_up || return
  wait_until "node localhost to become idle" node_ready || return
  wait_until "a real 'srun true' to succeed" srun_works || return
}

start_fresh() {
  local user ports
  if [ "$(id -u)" -eq 0 ]; then
    user=root
  else
    # Slurm can run as an ordinary user when every daemon and every job is that user's.
    user="$(id -un)"
    say "not root: running the daemons and all jobs as '$user' (SlurmUser=$user)"
  fi

  mkdir -p "$RUN" "$LOG" "$ROOT/spool" "$MUNGE/socket"
  # munged refuses keys readable by others, and sockets in directories others may write or may
  # not traverse.
  chmod 0755 "$MUNGE"
  chmod 0755 "$MUNGE/socket"
  if [ ! -s "$MUNGE/munge.key" ]; then
    mungekey --create --keyfile="$MUNGE/munge.key" >&2 ||
      dd if=/dev/urandom of="$MUNGE/munge.key" bs=1024 count=1 status=none
  fi
  chmod 0600 "$MUNGE/munge.key"

  # Fresh state: no jobs, job ids from 1, and no PMIx leftovers of an earlier cluster.
  rm -rf "$ROOT/spool/slurmctld" "$ROOT/spool/slurmd" "$ROOT/tmp" "$SOCKET"
  mkdir -p "$ROOT/spool/slurmctld" "$ROOT/spool/slurmd" "$ROOT/tmp"
  local f
  for f in "$LOG"/*.log "$LOG"/*.out "$LOG"/*.txt; do
    [ -e "$f" ] && mv -f "$f" "$f.prev"
  done

  read -r -a ports <<<"$(pick_ports)"
  write_config "${ports[0]}" "${ports[1]}" "$user"

  launch munged munged --foreground --socket="$SOCKET" --key-file="$MUNGE/munge.key" \
    --pid-file="$RUN/munged.daemon.pid" --log-file="$LOG/munged.log" \
    --seed-file="$MUNGE/munged.seed"
  deadline=$((SECONDS + TIMEOUT))
  wait_until "munged's socket $SOCKET" test -S "$SOCKET" || fail_start "munged could not start"
  launch slurmctld slurmctld -D -f "$CONF"
  # The node name is not this host's name, so slurmd is told which node it is.
  launch slurmd slurmd -D -f "$CONF" -N localhost
  say "started munged, slurmctld (port ${ports[0]}), slurmd (port ${ports[1]}) with $cpus CPUs"
}

# --- commands -----------------------------------------------------------------------------------

# One start or stop at a time per ROOT (CI and a developer may race on the same directory).
take_lock() {
  exec 9>"$ROOT/.slurm-local.lock"
  flock -w 120 9 || die "another slurm-local.sh holds $ROOT/.slurm-local.lock for over 120 s"
}

cmd_stop() {
  local jobs i left
  if owned_pid slurmctld >/dev/null; then
    # Job processes outlive slurmd (slurmstepd is re-parented to init in its own session): cancel
    # every job and let them drain before the daemons go.
    jobs="$(timeout 10 squeue -h -o %A 2>/dev/null | tr '\n' ' ' || true)"
    if [ -n "${jobs// /}" ]; then
      say "cancelling jobs: $jobs"
      # shellcheck disable=SC2086  # one argument per job id
      timeout 10 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 300; i++)); do
        left="$(timeout 10 squeue -h -o %A 2>/dev/null || echo unknown)"
        [ -z "$left" ] && break
        sleep 0.1
      done
      [ -z "$left" ] || say "jobs still not finished after 30 s, stopping anyway: ${left//$'\n'/ }"
    fi
  fi
  stop_daemons
  say "stopped the cluster at $ROOT"
}

cmd_status() {
  local name pid states=()
  for name in munged slurmctld slurmd; do
    if pid="$(owned_pid "$name")"; then states+=("$name pid $pid"); else states+=("$name not running"); fi
  done
  if (($(running_daemons) == 3)) && controller_up && node_ready; then
    echo "up: $ROOT (${states[*]}; $(grep -o 'CPUs=[0-9]*' "$CONF")," \
      "$(grep -E '^Slurm(ctld|d)Port=' "$CONF" | paste -sd' '))"
    return 0
  fi
  echo "down: $ROOT (${states[*]})"
  return 1
}

cmd_start() {
  local running attempt status
  running="$(running_daemons)"
  if ((running == 3)); then
    local have
    have="$(sed -n 's/^NodeName=.* CPUs=\([0-9]*\).*/\1/p' "$CONF")"
    [ "$have" = "$cpus" ] ||
      die "the cluster at $ROOT is running with $have CPUs, not $cpus: stop it first"
    say "already running at $ROOT: checking it is ready"
    wait_ready || fail_start "the running cluster at $ROOT is not ready"
  else
    if ((running > 0)); then
      say "only $running of 3 daemons running at $ROOT: stopping them and starting afresh"
      cmd_stop
    fi
    # The ports were free when picked, but another process may bind one before our daemon does.
    for attempt in 1 2 3; do
      start_fresh
      status=0
      wait_ready || status=$?
      ((status == 0)) && break
      stop_daemons 0  # a cluster that never came up has nothing to save: no grace period
      ((attempt < 3)) || fail_start "ports taken by other processes three times in a row"
      say "a port was taken by another process meanwhile: retrying with other ports"
    done
  fi
  say "ready at $ROOT after $(elapsed) s"
  echo "export SLURM_CONF=$CONF"
}

case "$command" in
  start)
    take_lock
    cmd_start
    ;;
  stop)
    take_lock
    cmd_stop
    ;;
  status) cmd_status ;;
  *) usage ;;
esac
