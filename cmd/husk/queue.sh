### The asynchronous verbs: relay over HUSK_RELAY_DIR.

# quote WORD: sets q to WORD as one sh word (no fork: one per argument).
quote() {
	q= q_s=$1
	while :; do
		case $q_s in
		*\'*) q="$q${q_s%%\'*}'\\''"; q_s=${q_s#*\'} ;;
		*) break ;;
		esac
	done
	q="'$q$q_s'"
}

relay_() {
	r=$(tool relay) || die $EX_SYS "unable to find relay: run make"
	# A fresh machine: the directory is made here, not only by husk serve.
	mkdir -p "$HUSK_RELAY_DIR" || die $EX_SYS "unable to create $HUSK_RELAY_DIR"
	exec "$r" -d "$HUSK_RELAY_DIR" "$@"
}

# husk submit ARGS: queue `husk run ARGS`, with the HUSK_ variables of
# this environment, so the run sees the configuration of its submitter,
# in the submitter's directory (for -C, -f and -o), or failing if
# relayd cannot go there.
cmd_submit() {
	[ $# -gt 0 ] || usage
	quote "$PWD"
	cmd="cd $q || exit 111; exec env"
	for v in $(env | sed -n 's/^\(HUSK_[A-Z_]*\)=.*/\1/p' | sort -u); do
		eval "quote \"\${$v}\""
		cmd="$cmd $v=$q"
	done
	quote "$here/husk"
	cmd="$cmd $q run"
	for a; do quote "$a"; cmd="$cmd $q"; done
	relay_ submit -- "$cmd"
}

# husk status [--json] [JOB]: relay's status, or one job's state read
# from the relay directory's protocol files (relayd(8)).
cmd_status() {
	json=
	[ "${1:-}" = --json ] && { json=1; shift; }
	[ $# -le 1 ] || usage
	[ $# = 0 ] && relay_ status ${json:+--json}
	case $1 in .*|*[!A-Za-z0-9._-]*|'') die $EX_USAGE "unable to parse job id $1" ;; esac
	d=$HUSK_RELAY_DIR ex=null
	if [ -f "$d/result/$1.exit" ]; then
		state=done ex=$(cat "$d/result/$1.exit") ||
			die $EX_SYS "unable to read $d/result/$1.exit"
		# Only a number goes into the JSON, as relay(1) takes it.
		case $ex in
		''|*[!0-9]*|????*) die $EX_SYS "unable to read $d/result/$1.exit: not an exit status" ;;
		esac
	elif [ -f "$d/run/$1" ]; then state=running
	elif [ -f "$d/cmd/$1" ] || ls "$d"/srv/*/"$1" >/dev/null 2>&1; then state=queued
	else die $EX_FALSE "unable to find job $1 in $d"
	fi
	if [ -n "$json" ]; then
		printf '{"id":"%s","state":"%s","exit":%s}\n' "$1" "$state" "$ex"
	else
		echo "$state${ex#null}" | sed 's/^done/done /'
	fi
}

# husk serve [-j slots] [-K keep] [-p pooled] [-l lang]: relayd on
# HUSK_RELAY_DIR, standard error apart (husk logs, husk api), results
# removed after -K seconds; with -p, that many VMs of lang restored and
# ready for husk run (pool.sh), kept by a subshell while relayd lives.
cmd_serve() {
	j=1 keep= p_n= lang=sh
	while getopts j:K:p:l:h o; do
		case $o in
		j) num -j "$OPTARG" 1 256; j=$OPTARG ;;
		K) num -K "$OPTARG" 1 31536000; keep=$OPTARG ;;
		p) num -p "$OPTARG" 1 64; p_n=$OPTARG ;;
		l) lang=$OPTARG ;;
		h) usage 0 ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# = 0 ] || usage
	lang_image "$lang" || die $EX_USAGE "unable to pool language $lang: not one of: $LANGS"
	[ -z "$p_n" ] || [ "${HUSK_SNAPSHOT:-1}" = 1 ] ||
		die $EX_USAGE "unable to pool VMs with HUSK_SNAPSHOT=$HUSK_SNAPSHOT: they are restored from the snapshot"
	r=$(tool relayd) || die $EX_SYS "unable to find relayd: run make"
	mkdir -p "$HUSK_STATE" || die $EX_SYS "unable to create $HUSK_STATE"
	if [ -n "$p_n" ]; then
		ticks $$ || die $EX_SYS "unable to read /proc/$$/stat"
		( pool_keep "$p_n" "$lang" $$ "$tk" ) &
	fi
	exec "$r" -2 ${keep:+-K "$keep"} -d "$HUSK_RELAY_DIR" -j "$j" \
	    -w "$HUSK_STATE"
}

