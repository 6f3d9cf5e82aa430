#!/bin/sh
# husk's IPv4 arithmetic: netmask, network, gateway (the first host),
# broadcast and the guests' range, for any prefix 1..30.
. "$(dirname "$0")/test-lib.sh"

calc() { husk _ipcalc "$1" "$2" | tr '\n' ' ' | sed 's/ $//'; echo; }

while read -r addr p want; do
	test_expect_success "$addr/$p" '
		echo "$want" >want && calc "$addr" "$p" >got && test_cmp want got
	'
done <<'EOF2'
10.201.0.0 24 network 10.201.0.0 netmask 255.255.255.0 gateway 10.201.0.1 broadcast 10.201.0.255 first 10.201.0.2 last 10.201.0.254 hosts 253
10.1.2.3 8 network 10.0.0.0 netmask 255.0.0.0 gateway 10.0.0.1 broadcast 10.255.255.255 first 10.0.0.2 last 10.255.255.254 hosts 16777213
172.16.200.9 16 network 172.16.0.0 netmask 255.255.0.0 gateway 172.16.0.1 broadcast 172.16.255.255 first 172.16.0.2 last 172.16.255.254 hosts 65533
192.168.1.77 29 network 192.168.1.72 netmask 255.255.255.248 gateway 192.168.1.73 broadcast 192.168.1.79 first 192.168.1.74 last 192.168.1.78 hosts 5
192.168.1.77 30 network 192.168.1.76 netmask 255.255.255.252 gateway 192.168.1.77 broadcast 192.168.1.79 first 192.168.1.78 last 192.168.1.78 hosts 1
255.255.255.255 1 network 128.0.0.0 netmask 128.0.0.0 gateway 128.0.0.1 broadcast 255.255.255.255 first 128.0.0.2 last 255.255.255.254 hosts 2147483645
10.0.0.130 25 network 10.0.0.128 netmask 255.255.255.128 gateway 10.0.0.129 broadcast 10.0.0.255 first 10.0.0.130 last 10.0.0.254 hosts 125
EOF2

test_expect_success 'python3 ipaddress agrees for every prefix 1..30' '
	rm -f got &&
	for p in $(seq 1 30); do
		calc 203.0.113.77 $p >>got
	done &&
	python3 -c "
import ipaddress
for p in range(1, 31):
    n = ipaddress.ip_network(\"203.0.113.77/%d\" % p, strict=False)
    b, a = n.broadcast_address, n.network_address
    print(\"network %s netmask %s gateway %s broadcast %s first %s last %s hosts %d\" %
          (a, n.netmask, a + 1, b, a + 2, b - 1, n.num_addresses - 3))
" >want &&
	test_cmp want got
'
test_expect_code 100 'prefix 0 is refused' 'husk _ipcalc 10.0.0.0 0'
test_expect_code 100 'prefix 31 is refused' 'husk _ipcalc 10.0.0.0 31'
test_done
