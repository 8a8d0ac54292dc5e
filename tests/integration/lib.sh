# shellcheck shell=bash disable=SC2261  # ">&\"$fd\"" duplicates a numeric fd, not a file
# Real XMPP servers (Prosody 0.12, ejabberd 23.01) as S2S partners in tests.
# Sourced by tests/integration/*.sh; see docs/peers.md for the whole picture.
#
#   source "$src/tests/integration/lib.sh"
#   peers_init "$0" "$@"          # re-runs the script as root in its own namespaces
#   peers_dns_start ...           # a DNS server on 127.0.0.1 for the partners
#   peers_start_prosody NAME VARIANT S2S_PORT
#   peers_probe_features ...      # what the partner offers, pre- and post-TLS
#   finish NAME                   # from tests/cli-lib.sh: "NAME: N passed, M failed"
#
# Every server is started by this file, its PID recorded, and stopped by that PID from
# the EXIT trap, also when the test fails. The namespaces are the second line of defence:
# the script runs as PID 1 of a private PID namespace, so when it ends the kernel kills
# whatever might still run there, and `unshare --kill-child` ends it when ctest kills
# unshare on a timeout. Every loop and wait is bounded.

# shellcheck source=../cli-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../cli-lib.sh"

PEERS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_FIXTURES=$(cd "$PEERS_LIB_DIR/../../fixtures/servers" && pwd)
PEERS_HARNESS=harness.test
PEERS_PARTNER=partner.test
PEERS_NAMES=()         # servers started, in order
declare -A PEERS_PID   # NAME -> the PID this file started (prosody, ejabberdctl, ldns-testns)
declare -A PEERS_KIND  # NAME -> prosody | ejabberd | dns
declare -A PEERS_DIR   # NAME -> run folder of that server
declare -A PEERS_PORT  # NAME -> its listening port
declare -A PEERS_VARIANT # NAME -> fixture variant
declare -A PEERS_T0    # NAME -> start time (microseconds)
declare -A PEERS_READY # NAME -> start-up time in seconds ("0.081")

# jq definitions for the report checks: by_requires is a result skipped because the
# scenario's <requires> rules the partner out (runner.c: "skipped: the scenario requires").
PEERS_JQ_DEFS='def by_requires: .verdict == "skip" and (.cause | startswith("skipped: the scenario requires")); '

peers_log() { echo "# $*"; }

# Microseconds since the epoch, for timings (bash's EPOCHREALTIME, no fork).
peers_now_us() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "$t"
}

peers_secs() { # peers_secs MICROSECONDS -> "1.234"
	printf '%d.%03d' $(($1 / 1000000)) $((($1 % 1000000) / 1000))
}

# (a) Re-runs the calling script inside fresh network, mount and PID namespaces in
# which only `lo` exists (up, 127.0.0.1 and ::1), with a private /etc/hosts and /proc.
# Then makes the run folder (PEERS_RUN) and installs the EXIT trap. Needs root: the
# namespaces, and starting the servers under their own users.
# Usage: peers_init "$0" "$@"  (the script's arguments: S2SCHECK SOURCE_DIR BUILD_DIR)
peers_init() {
	local script=$1
	shift
	if [ -z "${S2S_PEERS_NETNS:-}" ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "FAIL: $(basename "$script") must run as root (namespaces, setpriv)"
			exit 1
		fi
		local c missing=()
		for c in unshare ip ss setpriv prosody ejabberdctl ldns-testns drill gnutls-cli openssl jq mount; do
			command -v "$c" >/dev/null || missing+=("$c")
		done
		if [ "${#missing[@]}" -ne 0 ]; then
			echo "FAIL: missing ${missing[*]}; run .ci/install-peers"
			exit 1
		fi
		# --kill-child=TERM: unshare stays the parent and, if it is killed itself (a ctest
		# timeout), sends SIGTERM to this script, PID 1 of the namespace: the EXIT trap
		# stops the servers, and the kernel kills anything left when PID 1 ends.
		exec unshare --net --mount --propagation private --pid --fork --kill-child=TERM \
			--mount-proc -- env S2S_PEERS_NETNS=1 bash "$script" "$@"
	fi
	# shellcheck disable=SC2034  # for the tests that source this file
	PEERS_SRC=$2
	PEERS_BUILD=$3
	PEERS_PKI=$PEERS_BUILD/certs
	if [ ! -f "$PEERS_PKI/ca.pem" ] || [ ! -f "$PEERS_PKI/$PEERS_PARTNER.pem" ]; then
		echo "FAIL: no test PKI in $PEERS_PKI (build the 'certs' target first)"
		exit 1
	fi
	ip link set lo up || exit 1
	local links
	links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
	if [ "$links" != "lo " ]; then
		echo "FAIL: the namespace has interfaces other than lo: $links"
		exit 1
	fi
	PEERS_RUN=$(mktemp -d /tmp/s2s-peers.XXXXXX) || exit 1
	chmod 755 "$PEERS_RUN"
	trap peers_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# libc getaddrinfo (ejabberd resolves SRV targets with it) sees only these names.
	{
		echo "127.0.0.1 localhost $PEERS_PARTNER $PEERS_HARNESS"
		echo "::1 localhost ip6-localhost"
	} >"$PEERS_RUN/hosts"
	chmod 644 "$PEERS_RUN/hosts"
	mount --bind "$PEERS_RUN/hosts" /etc/hosts || exit 1
	peers_log "namespace: only lo; run folder $PEERS_RUN"
}

# (d) Stops every server by its recorded PID (newest first), then removes the run
# folder; kept, with its path printed, when a check failed. Installed by peers_init.
peers_cleanup() {
	local rc=$? i
	for ((i = ${#PEERS_NAMES[@]} - 1; i >= 0; i--)); do
		peers_stop "${PEERS_NAMES[$i]}"
	done
	if [ "${fail:-0}" -ne 0 ] || [ "$rc" -ne 0 ]; then
		echo "# run folder kept: $PEERS_RUN (logs of every server)"
	elif [ -n "${PEERS_RUN:-}" ]; then
		rm -rf "$PEERS_RUN"
	fi
	exit "$rc"
}

# (b) Fills TEMPLATE into OUT: each KEY=VALUE argument replaces @KEY@. Give VARIANT
# first: the text it brings may use the other placeholders. Fails (1) on an unreadable
# template or a placeholder left over.
peers_fill() {
	local tmpl=$1 out=$2 text kv key val
	shift 2
	text=$(<"$tmpl") || return 1
	for kv in "$@"; do
		key=${kv%%=*}
		val=${kv#*=}
		# Quoted replacement: bash 5.2 would otherwise expand & in it.
		text=${text//"@$key@"/"$val"}
	done
	if [[ $text =~ @[A-Z][A-Z_]*@ ]]; then
		echo "FAIL: $tmpl: placeholder ${BASH_REMATCH[0]} not filled"
		return 1
	fi
	printf '%s\n' "$text" >"$out"
}

# Waits until something listens on TCP 127.0.0.1:PORT, at most TIMEOUT_MS, polling
# every 20 ms; fails early when PID is gone. Uses ss so that the server sees no probe
# connection. Returns 0 when listening, 1 otherwise.
peers_wait_listen() { # PORT PID TIMEOUT_MS
	local port=$1 pid=$2 n=$(($3 / 20)) i
	for ((i = 0; i < n; i++)); do
		if [ -n "$(ss -Hltn "sport = :$port")" ]; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

# Descendants of PID (children first), from /proc/PID/task/*/children; bounded depth.
peers_descendants() { # PID [DEPTH]
	local pid=$1 depth=${2:-0} c f
	[ "$depth" -lt 8 ] || return 0
	for f in /proc/"$pid"/task/*/children; do
		[ -r "$f" ] || continue
		for c in $(<"$f"); do
			echo "$c"
			peers_descendants "$c" $((depth + 1))
		done
	done
}

peers_register() { # NAME KIND PID DIR [PORT] [VARIANT]
	PEERS_NAMES+=("$1")
	PEERS_KIND[$1]=$2
	PEERS_PID[$1]=$3
	PEERS_DIR[$1]=$4
	PEERS_PORT[$1]=${5:-}
	PEERS_VARIANT[$1]=${6:-}
	echo "$3" >"$4/started.pid"
}

peers_show_log() { # FILE: the last lines, as comments
	[ -f "$1" ] && tail -n 15 "$1" | sed 's/^/#   /'
}

# (e) A DNS server on 127.0.0.1:DNS_PORT (UDP and TCP; inside the namespace its
# 0.0.0.0 socket reaches only lo), answering from a generated ldns-testns data file:
#   - the harness domain and every NAME given after `--`, each under the harness
#     domain: `_xmpp-server._tcp.N SRV 0 0 HARNESS_PORT N.`, `N A 127.0.0.1`; other
#     types NODATA (so `_xmpps-server` is NODATA: no direct TLS);
#   - each PARTNER=PORT: `_xmpp-server._tcp.PARTNER SRV 0 0 PORT PARTNER.` and A;
#   - any other name under test.: NXDOMAIN; anything else REFUSED.
# ldns-testns cannot synthesise answers, so names under the harness domain exist only
# when listed. This stands in until `s2scheck run --serve-dns` (harness/dnszone.c,
# which answers every name under the apex) exists; docs/peers.md.
# Usage: peers_dns_start DNS_PORT HARNESS_PORT [PARTNER=PORT...] [-- NAME...]
peers_dns_start() {
	local port=$1 hport=$2 dir=$PEERS_RUN/dns p names=("$PEERS_HARNESS") n
	shift 2
	local partners=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		partners+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	names+=("$@")
	mkdir -p "$dir"
	local soa="test. 60 IN SOA test. hostmaster.test. 1 3600 600 86400 60"
	{
		echo "; generated by tests/integration/lib.sh peers_dns_start"
		echo "\$TTL 60"
		# entry QNAME QTYPE RR...: one positive answer, A glue for SRV targets
		entry() {
			local qn=$1 qt=$2
			shift 2
			printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n'
			printf 'REPLY QR AA RD RA NOERROR\nSECTION QUESTION\n%s IN %s\nSECTION ANSWER\n' "$qn" "$qt"
			printf '%s\n' "$1"
			if [ -n "${2:-}" ]; then printf 'SECTION ADDITIONAL\n%s\n' "$2"; fi
			printf 'ENTRY_END\n'
		}
		nodata() { # every other type of QNAME: NOERROR, no answer, SOA
			printf 'ENTRY_BEGIN\nMATCH opcode qname\nADJUST copy_id copy_query\n'
			printf 'REPLY QR AA RD RA NOERROR\nSECTION QUESTION\n%s IN A\n' "$1"
			printf 'SECTION AUTHORITY\n%s\nENTRY_END\n' "$soa"
		}
		host() { # NAME SRVPORT
			entry "_xmpp-server._tcp.$1." SRV "_xmpp-server._tcp.$1. 60 IN SRV 0 0 $2 $1." \
				"$1. 60 IN A 127.0.0.1"
			entry "$1." A "$1. 60 IN A 127.0.0.1"
			nodata "_xmpp-server._tcp.$1."
			nodata "_xmpps-server._tcp.$1."
			nodata "$1."
		}
		for n in "${names[@]}"; do host "$n" "$hport"; done
		for p in "${partners[@]}"; do host "${p%%=*}" "${p#*=}"; done
		printf 'ENTRY_BEGIN\nMATCH opcode subdomain\nADJUST copy_id copy_query\n'
		printf 'REPLY QR AA RD RA NXDOMAIN\nSECTION QUESTION\ntest. IN SOA\n'
		printf 'SECTION AUTHORITY\n%s\nENTRY_END\n' "$soa"
		printf 'ENTRY_BEGIN\nMATCH opcode subdomain\nADJUST copy_id copy_query\n'
		printf 'REPLY QR RD REFUSED\nSECTION QUESTION\n. IN SOA\nENTRY_END\n'
	} >"$dir/zone.data"
	unset -f entry nodata host
	local t0 pid
	t0=$(peers_now_us)
	ldns-testns -p "$port" "$dir/zone.data" >"$dir/ldns-testns.log" 2>&1 &
	pid=$!
	peers_register dns dns "$pid" "$dir" "$port" ldns-testns
	if ! peers_wait_listen "$port" "$pid" 3000; then
		echo "FAIL: ldns-testns did not listen on $port"
		peers_show_log "$dir/ldns-testns.log"
		return 1
	fi
	PEERS_READY[dns]=$(peers_secs $(($(peers_now_us) - t0)))
	PEERS_DNS_PORT=$port
	peers_log "dns: ldns-testns pid $pid on 127.0.0.1:$port, ready in ${PEERS_READY[dns]} s"
}

# (b)+(c) Writes the run folder of Prosody NAME from prosody.cfg.lua.in and the options
# of fixtures/servers/prosody/VARIANT.cfg.lua and starts it as the prosody user on
# 127.0.0.1:S2S_PORT (c2s on S2S_PORT+1000), serving DOMAIN (default partner.test)
# with the leaf CERT of the test PKI (default partner.test). peers_dns_start must have
# run. Does not wait: peers_wait_ready does. With DOMAIN harness.test and CERT
# harness.test it is the dialback authority of the probe (peers_probe_dialback).
# Never as root: 0.12.3 refuses, crashes in shutdown and keeps running (peers.md).
peers_launch_prosody() { # NAME VARIANT S2S_PORT [CERT] [DOMAIN]
	local name=$1 variant=$2 port=$3 cert=${4:-$PEERS_PARTNER} domain=${5:-$PEERS_PARTNER}
	local dir=$PEERS_RUN/$name vfile=$PEERS_FIXTURES/prosody/$2.cfg.lua
	if [ ! -f "$vfile" ]; then
		echo "FAIL: no Prosody variant $variant ($vfile)"
		return 1
	fi
	mkdir -p "$dir/data" "$dir/nocerts" "$dir/capath" || return 1
	echo "127.0.0.1 localhost" >"$dir/hosts"
	peers_fill "$PEERS_FIXTURES/prosody/prosody.cfg.lua.in" "$dir/prosody.cfg.lua" \
		"VARIANT=$(<"$vfile")" "RUN=$dir" "PKI=$PEERS_PKI" "CERT=$cert" \
		"DOMAIN=$domain" "S2S_PORT=$port" "C2S_PORT=$((port + 1000))" \
		"DNS_PORT=$PEERS_DNS_PORT" || return 1
	chown -R prosody:prosody "$dir" || return 1
	PEERS_T0[$name]=$(peers_now_us)
	# --pdeathsig: if this shell dies without its trap, Prosody gets SIGKILL too.
	setpriv --reuid=prosody --regid=prosody --clear-groups --inh-caps=-all \
		--pdeathsig KILL -- prosody -F --config "$dir/prosody.cfg.lua" \
		>"$dir/stdout.log" 2>&1 &
	peers_register "$name" prosody "$!" "$dir" "$port" "$variant"
}

# Waits until server NAME listens on its s2s port (Prosody at most 5 s, ejabberd 20 s),
# and records the start-up time in PEERS_READY[NAME]. Returns 0 when ready, 1 (with
# the end of its logs) when it did not come up or died.
peers_wait_ready() { # NAME
	local name=$1 pid=${PEERS_PID[$1]} port=${PEERS_PORT[$1]} dir=${PEERS_DIR[$1]} ms=5000
	[ "${PEERS_KIND[$name]}" = ejabberd ] && ms=20000
	if ! peers_wait_listen "$port" "$pid" "$ms"; then
		echo "FAIL: ${PEERS_KIND[$name]} $name (${PEERS_VARIANT[$name]}) not listening on $port"
		peers_show_log "$dir/stdout.log"
		peers_show_log "$dir/prosody.log"
		peers_show_log "$dir/logs/ejabberd.log"
		return 1
	fi
	PEERS_READY[$name]=$(peers_secs $(($(peers_now_us) - ${PEERS_T0[$name]})))
	peers_log "${PEERS_KIND[$name]} $name (${PEERS_VARIANT[$name]}): pid $pid, s2s 127.0.0.1:$port, ready in ${PEERS_READY[$name]} s"
}

peers_start_prosody() { # NAME VARIANT S2S_PORT [CERT] [DOMAIN]: launch and wait
	peers_launch_prosody "$@" && peers_wait_ready "$1"
}

# (b)+(c) The same for ejabberd: ejabberd.yml from ejabberd.yml.in and
# fixtures/servers/ejabberd/VARIANT.yml, ejabberdctl.cfg, inetrc; node NAME@localhost
# with Erlang distribution on 127.0.0.1:DIST_PORT (no epmd). ejabberdctl runs as root
# and switches to the ejabberd user itself (su); the recorded PID is ejabberdctl's,
# the beam process below it is found at stop time. CERT must carry no xmppAddr
# (default partner.test-dns, DNS-ID only). Does not wait: peers_wait_ready does.
peers_launch_ejabberd() { # NAME VARIANT S2S_PORT DIST_PORT [CERT]
	local name=$1 variant=$2 port=$3 dport=$4 cert=${5:-$PEERS_PARTNER-dns}
	local dir=$PEERS_RUN/$name vfile=$PEERS_FIXTURES/ejabberd/$2.yml f
	if [ ! -f "$vfile" ]; then
		echo "FAIL: no ejabberd variant $variant ($vfile)"
		return 1
	fi
	mkdir -p "$dir/spool" "$dir/logs" || return 1
	local subst=("RUN=$dir" "PKI=$PEERS_PKI" "CERT=$cert" "DOMAIN=$PEERS_PARTNER"
		"HARNESS=$PEERS_HARNESS" "S2S_PORT=$port" "DIST_PORT=$dport"
		"DNS_PORT=$PEERS_DNS_PORT")
	peers_fill "$PEERS_FIXTURES/ejabberd/ejabberd.yml.in" "$dir/ejabberd.yml" \
		"VARIANT=$(<"$vfile")" "${subst[@]}" || return 1
	for f in ejabberdctl.cfg inetrc; do
		peers_fill "$PEERS_FIXTURES/ejabberd/$f.in" "$dir/$f" "${subst[@]}" || return 1
	done
	chown -R ejabberd:ejabberd "$dir" || return 1
	PEERS_T0[$name]=$(peers_now_us)
	# -d: config dir (ERL_INETRC=$dir/inetrc); -c: replaces /etc/ejabberd/ejabberdctl.cfg.
	# stdin from /dev/null: foreground mode must not read the test's input.
	ejabberdctl -c "$dir/ejabberdctl.cfg" -d "$dir" -s "$dir/spool" -l "$dir/logs" \
		-n "$name@localhost" foreground </dev/null >"$dir/stdout.log" 2>&1 &
	peers_register "$name" ejabberd "$!" "$dir" "$port" "$variant"
}

peers_start_ejabberd() { # NAME VARIANT S2S_PORT DIST_PORT [CERT]: launch and wait
	peers_launch_ejabberd "$@" && peers_wait_ready "$1"
}

# Sends SIG to each PID and waits until all are gone, at most TIMEOUT_MS. Returns 0
# when all are gone. Children of this shell are reaped with wait.
peers_kill_wait() { # SIG TIMEOUT_MS PID...
	local sig=$1 n=$(($2 / 20)) p i alive
	shift 2
	kill -s "$sig" "$@" 2>/dev/null
	for ((i = 0; i <= n; i++)); do
		alive=0
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && return 0
		[ "$i" -lt "$n" ] && sleep 0.02
	done
	return 1
}

# (d) Stops server NAME by its recorded PID: SIGTERM, at most 5 s, then SIGKILL. For
# ejabberd the beam process under ejabberdctl gets the SIGTERM (ejabberd shuts down
# cleanly on it; ejabberdctl and su then exit). Idempotent; prints the stop time.
peers_stop() { # NAME
	local name=$1 pid=${PEERS_PID[$1]:-} kind=${PEERS_KIND[$1]:-} targets t0 kids
	[ -n "$pid" ] || return 0
	t0=$(peers_now_us)
	targets=("$pid")
	if [ "$kind" = ejabberd ]; then
		local d
		for d in $(peers_descendants "$pid"); do
			[ "$(cat "/proc/$d/comm" 2>/dev/null)" = beam.smp ] && targets=("$d" "$pid")
		done
		kill -0 "${targets[0]}" 2>/dev/null && peers_kill_wait TERM 5000 "${targets[0]}"
	fi
	if ! peers_kill_wait TERM 5000 "$pid"; then
		echo "# $name: still running after SIGTERM, SIGKILL"
		mapfile -t kids < <(peers_descendants "$pid")
		peers_kill_wait KILL 2000 "${targets[@]}" "${kids[@]}"
	fi
	wait "$pid" 2>/dev/null
	unset "PEERS_PID[$name]"
	peers_log "$name: stopped (pid ${targets[*]}) in $(peers_secs $(($(peers_now_us) - t0))) s"
}

# Stops several servers in parallel (one SIGTERM each, then one bounded wait), which
# saves Prosody's ~2 s shutdown per server. Falls back to peers_stop for stragglers.
peers_stop_all() { # NAME...
	local name pids=() d
	for name in "$@"; do
		[ -n "${PEERS_PID[$name]:-}" ] || continue
		if [ "${PEERS_KIND[$name]}" = ejabberd ]; then
			for d in $(peers_descendants "${PEERS_PID[$name]}"); do
				[ "$(cat "/proc/$d/comm" 2>/dev/null)" = beam.smp ] && pids+=("$d")
			done
		fi
		pids+=("${PEERS_PID[$name]}")
	done
	[ "${#pids[@]}" -gt 0 ] && peers_kill_wait TERM 8000 "${pids[@]}"
	for name in "$@"; do
		peers_stop "$name"
	done
}

# Sets PEERS_LEFT to the processes ("PID:COMM ...") still alive in the PID namespace
# other than this script (PID 1). Reads the private /proc with builtins only, so that
# it forks nothing that it would then find. Empty when everything was stopped.
peers_leftovers() {
	local p comm
	PEERS_LEFT=
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = 1 ] && continue
		comm=
		read -r comm <"/proc/$p/comm" 2>/dev/null || continue
		PEERS_LEFT+="$p:$comm "
	done
}

# --- The probe: a minimal initiating server in bash --------------------------------

# Reads from FD into the global PEERS_RX until it holds PATTERN (a bash regex), the
# peer closes, or TIMEOUT_MS pass. Reads whole elements ('>'-terminated pieces), at
# most 400 of them. Returns 0 when PATTERN was seen.
peers_read_until() { # FD PATTERN TIMEOUT_MS
	local fd=$1 pat=$2 deadline chunk i now left
	deadline=$(($(peers_now_us) + $3 * 1000))
	for ((i = 0; i < 400; i++)); do
		[[ $PEERS_RX =~ $pat ]] && return 0
		now=$(peers_now_us)
		left=$((deadline - now))
		[ "$left" -gt 0 ] || return 1
		chunk=
		if IFS= read -r -d '>' -t "$(peers_secs "$left")" -u "$fd" chunk; then
			PEERS_RX+="$chunk>"
		else
			PEERS_RX+="$chunk"
			# timeout (status > 128) or EOF
			[[ $PEERS_RX =~ $pat ]]
			return
		fi
	done
	[[ $PEERS_RX =~ $pat ]]
}

# The stream header the probe sends: harness.test -> partner.test, dialback declared.
peers_header() { # TO FROM
	printf "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' to='%s' from='%s' version='1.0'>" "$1" "$2"
}

# End of a features element or of the stream: what the probe waits for.
PEERS_END_FEATURES='(</stream:features>|<stream:features/>|</stream:stream>|</stream:error>)'

# Waits until gnutls-cli, after SIGALRM, prints "*** Starting TLS handshake" on its
# stderr ERR (unbuffered; the line is documented in its source as the one for scripts
# to look for), at most TIMEOUT_MS, polling every 10 ms. From then on it is inside the
# handshake and reads stdin only afterwards, so what is written now travels over TLS.
# (Its --logfile is block-buffered, useless for this.) Returns 0 when the line came.
peers_wait_handshake() { # ERR TIMEOUT_MS
	local i n=$(($2 / 10)) err
	for ((i = 0; i <= n; i++)); do
		err=$(<"$1")
		[[ $err == *"*** Starting TLS handshake"* ]] && return 0
		[ "$i" -lt "$n" ] && sleep 0.01
	done
	return 1
}

# Connects to 127.0.0.1:PORT in plaintext, sends a jabber:server header (TO, FROM)
# and reads the response header and features (at most TIMEOUT_MS, default 3000), then
# closes the stream. Sets PEERS_PRE to what was received. Returns 0 when features came.
peers_probe_plain() { # PORT [TO] [FROM] [TIMEOUT_MS]
	local port=$1 to=${2:-$PEERS_PARTNER} from=${3:-$PEERS_HARNESS} tmo=${4:-3000} fd rc
	PEERS_RX=
	PEERS_PRE=
	# A peer that closes first must not kill this shell with SIGPIPE.
	trap '' PIPE
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || {
		trap - PIPE
		return 1
	}
	peers_header "$to" "$from" >&"$fd"
	peers_read_until "$fd" "$PEERS_END_FEATURES" "$tmo"
	rc=$?
	printf '</stream:stream>' >&"$fd" 2>/dev/null
	exec {fd}>&-
	trap - PIPE
	PEERS_PRE=$PEERS_RX
	[ "$rc" -eq 0 ] && [[ $PEERS_RX == *"stream:features"* ]]
}

# Like peers_probe_plain, then STARTTLS (RFC 6120 §5.4) through gnutls-cli --starttls
# (it relays plaintext until SIGALRM, then does the handshake), presenting the harness
# certificate CERT (default harness.test) and checking the partner's against the test
# CA and TO; then a new header on the TLS stream and its features. Sets PEERS_PRE (the
# plaintext part), PEERS_POST (after TLS; empty when TLS did not happen) and
# PEERS_TLS_LOG (gnutls-cli's log; its stderr is next to it). Returns 0 when post-TLS features came. Each
# step waits at most TIMEOUT_MS (default 3000); gnutls-cli is stopped by its PID.
peers_probe_tls() { # PORT [TO] [FROM] [CERT] [TIMEOUT_MS]
	local port=$1 to=${2:-$PEERS_PARTNER} from=${3:-$PEERS_HARNESS}
	local cert=${4:-$PEERS_HARNESS} tmo=${5:-3000} rc=1 dir pid in out
	dir=$(mktemp -d "$PEERS_RUN/probe.XXXXXX") || return 1
	PEERS_TLS_LOG=$dir/gnutls-cli.log
	PEERS_PRE=
	PEERS_POST=
	PEERS_RX=
	# FIFOs rather than a coproc: bash closes a coproc's descriptors as soon as it
	# exits, and a partner that drops the connection makes gnutls-cli exit.
	mkfifo "$dir/to-cli" "$dir/from-cli" || return 1
	trap '' PIPE
	gnutls-cli --starttls --port "$port" --sni-hostname "$to" \
		--verify-hostname "$to" --x509cafile "$PEERS_PKI/ca.pem" \
		--x509certfile "$PEERS_PKI/$cert.pem" --x509keyfile "$PEERS_PKI/$cert.key" \
		--logfile "$PEERS_TLS_LOG" 127.0.0.1 <"$dir/to-cli" >"$dir/from-cli" \
		2>"$dir/stderr.log" &
	pid=$!
	# Opening order matches gnutls-cli's (stdin first), else both sides block.
	exec {out}>"$dir/to-cli" {in}<"$dir/from-cli"
	peers_header "$to" "$from" >&"$out" 2>/dev/null
	if peers_read_until "$in" "$PEERS_END_FEATURES" "$tmo" &&
		[[ $PEERS_RX == *"<starttls"* ]]; then
		PEERS_PRE=$PEERS_RX
		PEERS_RX=
		printf "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" >&"$out" 2>/dev/null
		if peers_read_until "$in" '(<proceed[^>]*>|<failure[^>]*>|</stream:stream>)' "$tmo" &&
			[[ $PEERS_RX == *"<proceed"* ]]; then
			PEERS_RX=
			kill -ALRM "$pid" 2>/dev/null
			# Nothing may reach gnutls-cli's stdin before the handshake has begun: it
			# would relay it in plaintext.
			if peers_wait_handshake "$dir/stderr.log" "$tmo"; then
				peers_header "$to" "$from" >&"$out" 2>/dev/null
				peers_read_until "$in" "$PEERS_END_FEATURES" "$tmo" &&
					[[ $PEERS_RX == *"stream:features"* ]] && rc=0
				PEERS_POST=$PEERS_RX
				printf '</stream:stream>' >&"$out" 2>/dev/null
			fi
		fi
	else
		PEERS_PRE=$PEERS_RX
	fi
	exec {out}>&- {in}<&-
	peers_kill_wait TERM 2000 "$pid" || peers_kill_wait KILL 1000 "$pid"
	wait "$pid" 2>/dev/null
	trap - PIPE
	return "$rc"
}

# Feature words of a captured stream part, sorted (feature order changes between
# Prosody restarts, peers.md: compare as sets):
#   starttls-required | starttls | dialback | sasl:MECH ... | bidi | error:CONDITION
# plus `db-ns` when the stream header declares xmlns:db.
peers_features() { # TEXT
	local t=$1 words=() rest
	local re_db='<stream:stream[^>]*xmlns:db=' re_st_empty='<starttls[^>]*/>'
	local re_st='<starttls[^>]*>(.*)</starttls>' re_req='<required'
	local re_dbf='<dialback[^>]*urn:xmpp:features:dialback' re_bidi='urn:xmpp:features:bidi'
	local re_mech='<mechanism>([^<]*)</mechanism>(.*)' re_err='<stream:error>[^<]*<([a-z-]+)'
	[[ $t =~ $re_db ]] && words+=(db-ns)
	if [[ $t =~ $re_st_empty ]]; then
		words+=(starttls)
	elif [[ $t =~ $re_st ]]; then
		if [[ ${BASH_REMATCH[1]} =~ $re_req ]]; then words+=(starttls-required); else words+=(starttls); fi
	fi
	[[ $t =~ $re_dbf ]] && words+=(dialback)
	[[ $t =~ $re_bidi ]] && words+=(bidi)
	rest=$t
	while [[ $rest =~ $re_mech ]]; do
		words+=("sasl:${BASH_REMATCH[1]}")
		rest=${BASH_REMATCH[2]}
	done
	[[ $t =~ $re_err ]] && words+=("error:${BASH_REMATCH[1]}")
	[ "${#words[@]}" -gt 0 ] || return 0
	printf '%s\n' "${words[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# The dialback secret of prosody.cfg.lua.in. A Prosody serving the harness domain with
# it is an authoritative server (XEP-0220 §2.1) for keys the probe computes itself.
PEERS_DIALBACK_SECRET=s2scheck-test-dialback-secret

# The XEP-0185 key Prosody generates: hex HMAC-SHA256 keyed with the hex SHA256(secret)
# (the 64 hex characters, not the raw digest: sha256_hash(secret, true)) over
# "RECEIVING ORIGINATING STREAM_ID" (mod_dialback.lua generate_dialback).
peers_dialback_key() { # RECEIVING ORIGINATING STREAM_ID
	local k
	k=$(printf '%s' "$PEERS_DIALBACK_SECRET" | sha256sum) || return 1
	printf '%s' "$1 $2 $3" | openssl dgst -sha256 -mac HMAC -macopt "key:${k%% *}" -r |
		awk '{print $1}'
}

# Plaintext dialback (XEP-0220 §2.1, no TLS: "Dp"): connects to 127.0.0.1:PORT, sends
# the header (harness.test -> partner.test), reads header and features, then
# `<db:result>` with the key a Prosody with PEERS_DIALBACK_SECRET serving the harness
# domain would generate for that stream id. The partner then resolves the harness
# domain in DNS (peers_dns_start) and asks that server with db:verify. Reads until
# the db:result answer or the end of the stream, at most TIMEOUT_MS (default 10000).
# Sets PEERS_DB_RX (all received) and PEERS_DB to one of: valid, invalid, error,
# error:CONDITION (a db:result of type error), stream:CONDITION (a stream error),
# closed (the stream ended without either), timeout, nostream. Returns 0 when PEERS_DB
# is valid.
peers_probe_dialback() { # PORT [TIMEOUT_MS]
	local port=$1 tmo=${2:-10000} fd id key
	local re_id="[[:space:]]id=['\"]([^'\"]*)['\"]" re_type="<db:result[^>]*type=['\"]([a-z]+)['\"]"
	local re_cond='<error[^>]*>[^<]*<([a-z-]+)' re_serr='<stream:error>[^<]*<([a-z-]+)'
	PEERS_RX=
	PEERS_DB_RX=
	PEERS_DB=nostream
	trap '' PIPE
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || {
		trap - PIPE
		return 1
	}
	peers_header "$PEERS_PARTNER" "$PEERS_HARNESS" >&"$fd"
	if peers_read_until "$fd" "$PEERS_END_FEATURES" 3000 && [[ $PEERS_RX =~ $re_id ]]; then
		id=${BASH_REMATCH[1]}
		key=$(peers_dialback_key "$PEERS_PARTNER" "$PEERS_HARNESS" "$id")
		printf "<db:result from='%s' to='%s'>%s</db:result>" \
			"$PEERS_HARNESS" "$PEERS_PARTNER" "$key" >&"$fd" 2>/dev/null
		PEERS_DB=timeout
		peers_read_until "$fd" '(<db:result[^>]*/>|</db:result>|</stream:stream>|</stream:error>)' "$tmo"
		if [[ $PEERS_RX =~ $re_serr ]]; then
			PEERS_DB=stream:${BASH_REMATCH[1]}
		elif [[ $PEERS_RX =~ $re_type ]]; then
			PEERS_DB=${BASH_REMATCH[1]}
			if [ "$PEERS_DB" = error ] && [[ $PEERS_RX =~ $re_cond ]]; then
				PEERS_DB=error:${BASH_REMATCH[1]}
			fi
		elif [[ $PEERS_RX == *"</stream:stream>"* ]]; then
			PEERS_DB=closed
		fi
	fi
	printf '</stream:stream>' >&"$fd" 2>/dev/null
	exec {fd}>&-
	trap - PIPE
	PEERS_DB_RX=$PEERS_RX
	[ "$PEERS_DB" = valid ]
}

# --- s2scheck run against a real partner -------------------------------------------

# The partners' DNS server is the run's own `s2scheck run --serve-dns 127.0.0.1:PORT`
# (harness/dnszone.c: every name at or under the harness domain gets an SRV record
# pointing at the run's --listen port, and an A record), instead of peers_dns_start.
# Sets the DNS_PORT the server configs are filled with; nothing is started here: the
# zone exists only while a run is going, which is the only time the partners need it.
peers_dns_external() { # DNS_PORT
	PEERS_DNS_PORT=$1
	peers_log "dns: the runs' own --serve-dns on 127.0.0.1:$1"
}

# Adds NAMEs (127.0.0.1) to the private /etc/hosts of the namespace (peers_init). For
# ejabberd, which resolves SRV targets through libc; the run's zone makes each
# scenario's name (h13-in.harness.test) its own SRV target.
peers_hosts_add() { # NAME...
	local n
	for n in "$@"; do
		echo "127.0.0.1 $n" >>"$PEERS_RUN/hosts"
	done
}

# The names a run of the default suite uses under the harness domain, one per line:
# each scenario's <id>.harness.test, each extra sender <label>.<id>.harness.test
# (<multiplex from>), and for a scenario run once per additional partner domain
# <id>-a1.harness.test ... <id>-aN (N: ADDITIONAL, default 1), from `S2SCHECK list
# --json`; runner.c forms them the same way. Also the preflight's own names
# (preflight.harness.test, preflight-2 ... for the additional domains; checkup.h).
peers_scenario_names() { # S2SCHECK [ADDITIONAL]
	echo "preflight.$PEERS_HARNESS"
	for ((k = 2; k <= ${2:-1} + 1; k++)); do echo "preflight-$k.$PEERS_HARNESS"; done
	"$1" list --json | jq -r --arg h "$PEERS_HARNESS" --argjson n "${2:-1}" \
		'.scenarios[] | (.id + "." + $h),
		 (.id as $i | .multiplex_from[] | . + "." + $i + "." + $h),
		 (select(.partner_domain == "additional") | .id as $i | range(1; $n + 1) | $i + "-a" + tostring + "." + $h)'
}

# Starts `S2SCHECK run ARGS...` in the background, its PID recorded like a server's (so
# the EXIT trap stops it on failure), bounded to LIMIT_S seconds (then SIGTERM, SIGKILL
# 5 s later: `timeout` is the recorded process). stdout and stderr go to OUT/stdout and
# OUT/stderr. Several runs may go at once (each against its own server);
# peers_s2scheck_wait NAME collects one.
peers_s2scheck_start() { # NAME LIMIT_S OUT S2SCHECK ARGS...
	local name=$1 limit=$2 out=$3 bin=$4
	shift 4
	mkdir -p "$out" || return 1
	PEERS_T0[$name]=$(peers_now_us)
	timeout -k 5 "$limit" "$bin" run "$@" >"$out/stdout" 2>"$out/stderr" &
	peers_register "$name" s2scheck "$!" "$out"
}

# Waits for a run started by peers_s2scheck_start. Sets PEERS_RUN_RC (its exit code;
# 124 when the limit struck) and PEERS_RUN_SECS (wall time).
peers_s2scheck_wait() { # NAME
	local name=$1
	wait "${PEERS_PID[$name]}"
	PEERS_RUN_RC=$?
	unset "PEERS_PID[$name]"
	PEERS_RUN_SECS=$(peers_secs $(($(peers_now_us) - ${PEERS_T0[$name]})))
	peers_log "$name: s2scheck run exit $PEERS_RUN_RC in $PEERS_RUN_SECS s"
}

# Runs `S2SCHECK run ARGS...` and waits for it (peers_s2scheck_start, _wait).
peers_s2scheck_run() { # NAME LIMIT_S OUT S2SCHECK ARGS...
	peers_s2scheck_start "$@" || return 1
	peers_s2scheck_wait "$1"
}

# Checks a run of the whole default suite against a partner configured with no
# authentication method at all (Lync M18; ejabberd false-nodb), which Lync refuses to
# commit: outbound, every scenario matches (F0: every attempt fails) or is skipped by
# its <requires>; inbound, the partner cannot be made to connect in (the trigger stream
# cannot authenticate either), so every inbound scenario is an error naming that, and
# the run exits 3 (could not test); the classification finds no valid configuration
# and says the configured row explains what was seen.
peers_check_no_method() { # LABEL OUT ROW
	local what=$1 out=$2 row=$3 json=$2/r.json got
	check "$what: exit 3 [$PEERS_RUN_RC]" test "$PEERS_RUN_RC" -eq 3
	got=$(cli_jq -r "$PEERS_JQ_DEFS"'[.results[] | select(.direction == "outbound" and .verdict != "match" and (by_requires | not)) | "\(.id)=\(.verdict)"] | join(" ")' "$json")
	check "$what: outbound, only match and skips by <requires> [$got]" test -z "$got"
	got=$(cli_jq -r "$PEERS_JQ_DEFS"'[.results[] | select(.direction == "inbound" and (.verdict != "error" or (.cause | test("never connected in .*: the trigger stream \\(H9\\) could not authenticate") | not)) and (by_requires | not)) | "\(.id)=\(.verdict)"] | join(" ")' "$json")
	check "$what: inbound, every scenario an error because nothing authenticates (or skipped by <requires>) [$got]" test -z "$got"
	got=$(cli_jq '[.results[] | select(.direction == "inbound")] | length' "$json")
	check "$what: inbound results [$got]" test "${got:-0}" -gt 30
	got=$(cli_jq -r '.classification | .state + " " + (.partner_row_consistent | tostring) + " " + (.invalid_configs | join(","))' "$json")
	check "$what: classification [$got]: no valid configuration, $row explains it" \
		grep -Eq "^none true .*\b$row\b" <<<"$got"
}

# The smoke checks of one running variant (smoke-prosody.sh, smoke-ejabberd.sh), one
# check per line: its partner file is in CLASS (`s2scheck matrix`); its pre-TLS
# features are PRE; its post-TLS features are POST with the valid harness certificate
# and BAD with one from an untrusted CA (POST "-": it offers no TLS at all); plaintext
# dialback ends in DB. SPEC is "variant|class|pre|post|bad|db" as the scripts list it.
peers_smoke_variant() { # S2SCHECK SERVER_KIND NAME SPEC
	local bin=$1 kind=$2 n=$3 variant class pre post bad db what json got port
	IFS='|' read -r variant class pre post bad db <<<"$4"
	port=${PEERS_PORT[$n]}
	what="$variant ($class)"
	# The partner file states the Lync setting the variant expresses; the oracle must
	# put it in the class observed here.
	json=$("$bin" matrix "$PEERS_FIXTURES/$kind/$variant.partner.xml" --json)
	got=$(jq -r 'if .valid then .class else .row end' <<<"$json")
	check "$what: $variant.partner.xml is in class [$got] = [$class]" test "$got" = "$class"
	peers_probe_plain "$port"
	got=$(peers_features "$PEERS_PRE")
	check "$what: pre-TLS features [$got] = [$pre]" test "$got" = "$pre"
	peers_probe_tls "$port"
	if [ "$post" = - ]; then
		check "$what: no STARTTLS, so no TLS" test -z "$PEERS_POST"
	else
		got=$(peers_features "$PEERS_POST")
		check "$what: post-TLS features [$got] = [$post]" test "$got" = "$post"
		peers_probe_tls "$port" "$PEERS_PARTNER" "$PEERS_HARNESS" "$PEERS_HARNESS-ca2"
		got=$(peers_features "$PEERS_POST")
		check "$what: post-TLS, untrusted harness certificate [$got] = [$bad]" test "$got" = "$bad"
	fi
	peers_probe_dialback "$port"
	check "$what: plaintext dialback [$PEERS_DB] = [$db]" test "$PEERS_DB" = "$db"
}

# Sets PEERS_ARGS to the options of a run against a real partner on loopback: the
# partner file, the target, the run's own DNS zone and listener, the test CA as the
# partner's CA and as the issuer of every harness certificate (--issuer-cert: each
# scenario's domain and certificate variant), JSON and transcripts in OUT.
peers_run_args() { # PARTNER_FILE S2S_PORT DNS_PORT LISTEN_PORT OUT
	PEERS_ARGS=(--partner "$1" --target "127.0.0.1:$2"
		--serve-dns "127.0.0.1:$3" --listen "127.0.0.1:$4"
		--ca "$PEERS_PKI/ca.pem" --issuer-cert "$PEERS_PKI/ca.pem" --issuer-key "$PEERS_PKI/ca.key"
		--json "$5/r.json" --transcripts "$5/tr" --quiet)
}

# Checks a run of the whole default suite against what the partner really is (one
# check per line):
#   - exit 0: every scenario matched, or deviated as a quirk of the --quirks files says
#     (xfail; a quirk that no longer shows is an xpass, exit 1);
#   - every scenario of the suite (SUITE_IDS, space-separated) has a result (one per
#     additional domain for the domains-additional ones);
#   - verdicts are match or xfail only, or skip where the scenario's <requires> rules the
#     partner out: no error, no other skip (so every certificate variant ran);
#   - the classification names exactly CLASS and the configuration matches;
#   - one transcript per result.
# Prints the end of stderr and the results that are not a match when something is off.
peers_check_suite() { # LABEL OUT CLASS SUITE_IDS
	local what=$1 out=$2 class=$3 ids=$4 json=$2/r.json got n want
	check "$what: exit 0 [$PEERS_RUN_RC]" test "$PEERS_RUN_RC" -eq 0
	if [ "$PEERS_RUN_RC" -ne 0 ]; then
		peers_show_log "$out/stderr"
		jq -r '.results[] | select(.verdict != "match" and .verdict != "xfail") | "#   \(.id) \(.verdict): expected \(.expected), observed \(.observed | join("|")): \(.cause)"' \
			"$json" 2>/dev/null | head -n 30
	fi
	got=$(cli_jq -r '[.results[].id | sub("\\..*$"; "")] | unique | join(" ")' "$json")
	want=$(tr ' ' '\n' <<<"$ids" | sort -u | tr '\n' ' ' | sed 's/ $//')
	check "$what: a result for each of the $(wc -w <<<"$ids") scenarios" test "$got" = "$want"
	got=$(cli_jq -r "$PEERS_JQ_DEFS"'[.results[] | select(.verdict != "match" and .verdict != "xfail" and (by_requires | not)) | "\(.id)=\(.verdict)"] | join(" ")' "$json")
	check "$what: only match, xfail and skips by <requires> [$got]" test -z "$got"
	got=$(cli_jq -r '.classification.state + " " + (.classification.classes | join(","))' "$json")
	check "$what: classification [$got] = [matches $class]" test "$got" = "matches $class"
	n=$(cli_jq '.results | length' "$json")
	got=$(find "$out/tr" -name '*.txt' ! -name _run.txt 2>/dev/null | wc -l)
	check "$what: one transcript per result [$got of ${n:-?}]" test "$got" = "${n:-x}"
	check "$what: the run-level transcript (_run.txt) is written" test -f "$out/tr/_run.txt"
	got=$(cli_jq -r '.refused | select(.total > 0) | [.causes[] | "\(.count) \(.cause)"] | join(", ")' "$json")
	[ -z "$got" ] || echo "# $what: refused outside any scenario: $got"
}

# Checks a run's report against what the partner really is (use with check-counting
# scripts; each line is one check):
#   - the exit code is WANT_RC (0: every scenario matched; 1: a mismatch);
#   - 36 results, none an error (so every inbound scenario really had the partner
#     connect in: no "never connected in"), none skipped;
#   - with WANT_RC 0, 36 matches and classification state "matches";
#     with WANT_RC 1, state "class" and the partner's own row not consistent;
#   - the classification names exactly CLASS;
#   - one transcript per scenario in OUT/tr.
# KNOWN (optional): the ids, space-separated in run order, of scenarios known to end in
# `error` because of a documented partner quirk (docs/peers.md); exactly those must,
# and the expected exit code of a run that otherwise matches becomes 3 (could not test).
# Prints the end of stderr and the non-matching results when the exit code is wrong.
# peers_domains_file PARTNER_FILE OUT_FILE: PARTNER_FILE with one more additional
# domain, gone.partner.test, that no test server hosts (issue 13 item 1).
peers_domains_file() {
	sed 's|</AdditionalDomains>|  <Domain>gone.partner.test</Domain>\n  </AdditionalDomains>|' "$1" >"$2"
	grep -q '<Domain>gone.partner.test</Domain>' "$2"
}

# Checks a run (matrix and domains scenarios) whose partner file (peers_domains_file)
# lists gone.partner.test, which the server does not host (it answers <host-unknown/>):
# exit 1 (a domains fault is a mismatch); the negotiation classification is still
# CLASS and the configuration matches (the domains-* scenarios are not in it); in both
# directions gone.partner.test is not served, with the fix, and SERVED (the server's
# own additional domain) is served and covered; the suggested cmdlet removes
# gone.partner.test and nothing else.
peers_check_domains() { # LABEL OUT CLASS SERVED
	local what=$1 out=$2 class=$3 served=$4 json=$2/r.json got dir item
	check "$what: exit 1 [$PEERS_RUN_RC]" test "$PEERS_RUN_RC" -eq 1
	got=$(cli_jq -r '.classification | .state + " " + (.classes | join(","))' "$json")
	check "$what: the negotiation classification [$got] = [matches $class]" \
		test "$got" = "matches $class"
	for dir in outbound inbound; do
		item=".domains.items[] | select(.domain == \"gone.partner.test\" and .direction == \"$dir\")"
		got=$(cli_jq -r "$item | .served + \" | \" + .fix" "$json")
		check "$what: gone.partner.test $dir: not served, with the fix [$got]" test "$got" = \
			"no | remove gone.partner.test from AdditionalDomains, or ask the partner to host it"
		item=".domains.items[] | select(.domain == \"$served\" and .direction == \"$dir\")"
		got=$(cli_jq -r "$item | .served + \" \" + .cert_covers" "$json")
		check "$what: $served $dir: served and covered [$got]" test "$got" = "yes yes"
	done
	got=$(cli_jq -r '.domains.summary' "$json")
	check "$what: the domains summary [$got]" test "$got" = "1 of 3 not served"
	got=$(cli_jq -r '.classification.suggested' "$json")
	check "$what: the cmdlet removes gone.partner.test [$got]" \
		grep -q ' -AdditionalDomains @{Remove="gone.partner.test"}$' <<<"$got"
	got=$(cli_jq -r '.summary.line' "$json")
	check "$what: the summary line [$got]" grep -q "^negotiation: matches M[0-9]* ($class); domains: 1 of 3 not served$" <<<"$got"
}

# peers_domains_case VARIANT CLASS PARTNER_FILE S2S_PORT DNS_PORT LISTEN_PORT TIMEOUT_S
#   QUIRKS S2SCHECK: runs the matrix and domains scenarios against a running server with
# PARTNER_FILE plus gone.partner.test (peers_domains_file), and checks the run
# (peers_check_domains; chat.partner.test is the servers' own additional domain).
peers_domains_case() {
	local variant=$1 class=$2 out=$PEERS_RUN/domains-$1
	mkdir -p "$out"
	check "$variant: a partner file with gone.partner.test" peers_domains_file "$3" \
		"$out/partner.xml"
	peers_run_args "$out/partner.xml" "$4" "$5" "$6" "$out"
	peers_s2scheck_run "domains-$variant" 120 "$out" "$9" --only matrix --only domains \
		"${PEERS_ARGS[@]}" --partner-connections 8 --timeout "$7" --step-timeout 4000 \
		--quirks "$8"
	peers_check_domains "$variant ($class) listing gone.partner.test" "$out" "$class" \
		chat.partner.test
}

peers_check_run() { # LABEL OUT WANT_RC CLASS [KNOWN]
	local what=$1 out=$2 want=$3 class=$4 known=${5:-} json=$2/r.json got n nk=0 ids
	if [ -n "$known" ]; then
		read -ra ids <<<"$known"
		nk=${#ids[@]}
		[ "$want" -eq 0 ] && want=3
	fi
	check "$what: exit $want [$PEERS_RUN_RC]" test "$PEERS_RUN_RC" -eq "$want"
	if [ "$PEERS_RUN_RC" -ne "$want" ]; then
		peers_show_log "$out/stderr"
		jq -r '.results[] | select(.verdict != "match") | "#   \(.id) \(.verdict): expected \(.expected), observed \(.observed | join("|")): \(.cause)"' \
			"$json" 2>/dev/null | head -n 20
	fi
	n=$(cli_jq '.results | length' "$json")
	check "$what: 36 results [$n]" test "$n" = 36
	got=$(cli_jq -r '[.results[] | select(.verdict == "error" or .verdict == "skip") | .id] | join(" ")' "$json")
	check "$what: errors or skips [$got] = the known ones [$known]" test "$got" = "$known"
	got=$(cli_jq -r '[.results[] | select(.direction == "inbound" and (.cause | test("never connected in"))) | .id] | join(" ")' "$json")
	check "$what: the partner connected in for every inbound scenario but the known ones [$got]" test "$got" = "$known"
	got=$(cli_jq -r '[.results[] | select(.direction == "inbound" and (.observed | length) == 0) | .id] | join(" ")' "$json")
	check "$what: every inbound scenario observed something but the known ones [$got]" test "$got" = "$known"
	if [ "$want" -ne 1 ]; then
		got=$(cli_jq '.summary.match' "$json")
		check "$what: $((36 - nk)) matches [$got]" test "$got" = $((36 - nk))
		got=$(cli_jq -r '.classification.state' "$json")
		check "$what: classification state [$got] = [matches]" test "$got" = matches
	else
		got=$(cli_jq -r '.classification.state + " " + (.classification.partner_row_consistent | tostring)' "$json")
		check "$what: classification [$got] = [class false]" test "$got" = "class false"
	fi
	got=$(cli_jq -r '.classification.classes | join(",")' "$json")
	check "$what: classified as [$got] = [$class]" test "$got" = "$class"
	n=$(find "$out/tr" -name '*.txt' ! -name _run.txt 2>/dev/null | wc -l)
	check "$what: 36 transcripts [$n]" test "$n" -eq 36
	check "$what: the run-level transcript (_run.txt) is written" test -f "$out/tr/_run.txt"
}
