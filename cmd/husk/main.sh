### Hidden verbs, for the tests: the address math and the leases.

# husk _ipcalc [ADDR PREFIX]: the pool's numbers, one "key value" a line.
cmd_ipcalc() {
	ipcalc "${1:-$HUSK_POOL}" "${2:-$HUSK_PREFIX}"
	printf 'network %s\nnetmask %s\ngateway %s\nbroadcast %s\nfirst %s\nlast %s\nhosts %s\n' \
	    "$network" "$mask" "$gateway" "$broadcast" "$first" "$last" "$hosts"
}
# husk _lease JOB OWNER_PID: take a lease for OWNER_PID (no tap, no VM).
cmd_lease() {
	[ $# = 2 ] || usage
	ipcalc "$HUSK_POOL" "$HUSK_PREFIX"
	lease_take "$1" "" "$2"
}

# husk _image LANG: the language's image, built or refreshed as husk run
# would (image), resolved to the file itself.
cmd_image() {
	[ $# = 1 ] || usage
	lang_image "$1" && l=$l_img || die $EX_USAGE "unable to use language $1: not one of: $LANGS"
	i=$(image "$l") || exit $?
	readlink -f "$i"
}

# husk _kvmboot: exit 0 if /dev/kvm boots the kernel (kvm_boots), else 1;
# for the VM test rig and make demo, which choose where to run with it.
cmd_kvmboot() {
	[ $# = 0 ] || usage
	num HUSK_KVM_PROBE "$HUSK_KVM_PROBE" 1 3600
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return $EX_FALSE
	kvm_boots "$HUSK_KVM_PROBE" || return $EX_FALSE
}

# husk _stop GRACE CMD [ARG ...]: run CMD as a child, then stop it as husk
# run stops its vmrun (stop_child).
cmd_stop() {
	[ $# -ge 2 ] || usage
	st_g=$1; shift
	num GRACE "$st_g" 0 3600
	"$@" &
	st_p=$!
	ticks "$st_p"
	stop_child "$st_p" "$tk" "$st_g"
}

# husk _kcmdline: the kernel command line of a job's VM before --net's
# words and HUSK_APPEND (kcmdline), for the VM tests and benches that boot
# vmrun as husk run does.
cmd_kcmdline() {
	[ $# = 0 ] || usage
	kcmdline
	echo "$kcl"
}

main() {
	[ $# -gt 0 ] || usage
	verb=$1; shift
	case $verb in
	run) cmd_run "$@" ;;
	snapshot) cmd_snapshot "$@" ;;
	submit) cmd_submit "$@" ;;
	status) cmd_status "$@" ;;
	logs|wait|cancel) relay_ "$verb" "$@" ;;
	serve) cmd_serve "$@" ;;
	api) cmd_api "$@" ;;
	go) cmd_go "$@" ;;
	doctor) cmd_doctor "$@" ;;
	_ipcalc) cmd_ipcalc "$@" ;;
	_lease) cmd_lease "$@" ;;
	_image) cmd_image "$@" ;;
	_pooled) cmd_pooled "$@" ;;
	_kvmboot) cmd_kvmboot "$@" ;;
	_stop) cmd_stop "$@" ;;
	_kcmdline) cmd_kcmdline "$@" ;;
	-h) usage 0 ;;
	*) usage ;;
	esac
}
main "$@"
