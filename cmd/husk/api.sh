### The HTTP job service: husk api serves, husk go is its client.

# husk api [-l addr:port] [-k tokenfile] [-H hosts] [-m max_code] [-T ttl]:
# husk-api on HUSK_RELAY_DIR, queueing `husk run` (HUSK_API_RUN, shell
# words: this husk's run unless set) for husk serve to run.
cmd_api() {
	a=$(tool husk-api) || die $EX_SYS "unable to find husk-api: run make"
	mkdir -p "$HUSK_RELAY_DIR" || die $EX_SYS "unable to create $HUSK_RELAY_DIR"
	if [ -z "${HUSK_API_RUN:-}" ]; then
		quote "$here/husk"
		HUSK_API_RUN="$q run"
	fi
	export HUSK_API_RUN
	exec "$a" -d "$HUSK_RELAY_DIR" "$@"
}

# husk go [-b url] [-k tokenfile] [-t timeout] -l lang (-c code | -f file):
# run code through a husk api, as husk run would here.
cmd_go() {
	a=$(tool husk-api) || die $EX_SYS "unable to find husk-api: run make"
	exec "$a" call "$@"
}

