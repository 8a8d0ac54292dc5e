#!/usr/bin/env bash
# Generates the test PKI into OUT_DIR (see docs/certificates.md).
# Usage: gen-certs.sh CERTTOOL SRC_DIR OUT_DIR
#
# - SRC_DIR/ca.tmpl, SRC_DIR/ca2.tmpl: the trusted test CA and the untrusted second CA;
#   SRC_DIR/ica.tmpl: an intermediate CA issued by ca (trusted only through it).
# - SRC_DIR/leaf/<variant>.tmpl: made once per domain in DOMAINS as <domain>-<variant>
#   ("default" gives plain <domain>).
# - SRC_DIR/single/<name>.tmpl: made once, for the domain named by its "# domain:" line.
# Leaf templates name their issuer on a "# signer: ca|ca2|ica|self" line (with ica, a
# "# chain: full|leaf" line says whether the file holds the intermediate after the leaf
# or the leaf alone) and may use
# @DOMAIN@, @SRV_SERVER_HEX@ and @SRV_CLIENT_HEX@ (hex DER IA5String of the SRV-ID
# "_xmpp-server.<domain>" / "_xmpp-client.<domain>", RFC 4985: certtool has no SRV-ID key).
# Every file is first written under a temporary name and renamed, and the stamp is written
# last, so an interrupted run is redone by the next build.
set -euo pipefail

if [ "$#" -ne 3 ]; then
	echo "usage: $0 CERTTOOL SRC_DIR OUT_DIR" >&2
	exit 2
fi
certtool=$1
src=$2
out=$3
DOMAINS="partner.test harness.test"

mkdir -p "$out/tmpl"
rm -f "$out/stamp"
# certtool's chatter goes to a log; it is shown only when a step fails.
log="$out/gen-certs.log"
: >"$log"

run() {
	if ! "$certtool" "$@" >>"$log" 2>&1; then
		echo "gen-certs: certtool $* failed; log follows" >&2
		cat "$log" >&2
		exit 1
	fi
}

# DER IA5String (tag 0x16, short-form length) as hex, for certtool's other_name.
ia5_hex() {
	local s=$1
	if [ "${#s}" -gt 127 ]; then
		echo "gen-certs: SRV-ID too long for a short DER length: $s" >&2
		exit 1
	fi
	printf '16%02x' "${#s}"
	printf '%s' "$s" | od -An -tx1 -v | tr -d ' \n'
}

# ECDSA P-256: fast to make, accepted by GnuTLS, Prosody and ejabberd. The keys are test
# material only and are made world-readable so that a server running as its own user
# (prosody, ejabberd) can load them.
new_key() {
	run --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1.tmp"
	chmod 0644 "$1.tmp"
	mv -f "$1.tmp" "$1"
}

header() { # header FILE KEY -> value of "# KEY: value", empty if absent
	sed -n "s/^# $2: *\\([^ ]*\\).*/\\1/p" "$1" | head -n 1
}

make_ca() { # make_ca NAME
	local name=$1
	new_key "$out/$name.key"
	run --generate-self-signed --load-privkey "$out/$name.key" \
		--template "$src/$name.tmpl" --outfile "$out/$name.pem.tmp"
	mv -f "$out/$name.pem.tmp" "$out/$name.pem"
}

make_leaf() { # make_leaf TEMPLATE DOMAIN NAME
	local tmpl=$1 domain=$2 name=$3 signer t
	signer=$(header "$tmpl" signer)
	t="$out/tmpl/$name.tmpl"
	sed -e "s/@DOMAIN@/$domain/g" \
		-e "s/@SRV_SERVER_HEX@/$(ia5_hex "_xmpp-server.$domain")/g" \
		-e "s/@SRV_CLIENT_HEX@/$(ia5_hex "_xmpp-client.$domain")/g" \
		"$tmpl" >"$t"
	if grep -q '@[A-Z_]*@' "$t"; then
		echo "gen-certs: unknown placeholder left in $t" >&2
		exit 1
	fi
	new_key "$out/$name.key"
	case "$signer" in
	ca | ca2 | ica)
		run --generate-certificate --load-privkey "$out/$name.key" \
			--load-ca-certificate "$out/$signer.pem" --load-ca-privkey "$out/$signer.key" \
			--template "$t" --outfile "$out/$name.pem.tmp"
		;;
	self)
		run --generate-self-signed --load-privkey "$out/$name.key" \
			--template "$t" --outfile "$out/$name.pem.tmp"
		;;
	*)
		echo "gen-certs: $tmpl: missing or unknown '# signer:' line ($signer)" >&2
		exit 1
		;;
	esac
	if [ "$signer" = ica ]; then
		case "$(header "$tmpl" chain)" in
		full) cat "$out/ica.pem" >>"$out/$name.pem.tmp" ;;
		leaf) ;;
		*)
			echo "gen-certs: $tmpl: signer ica needs '# chain: full|leaf'" >&2
			exit 1
			;;
		esac
	fi
	mv -f "$out/$name.pem.tmp" "$out/$name.pem"
}

make_ca ca
make_ca ca2
new_key "$out/ica.key"
run --generate-certificate --load-privkey "$out/ica.key" --load-ca-certificate "$out/ca.pem" \
	--load-ca-privkey "$out/ca.key" --template "$src/ica.tmpl" --outfile "$out/ica.pem.tmp"
mv -f "$out/ica.pem.tmp" "$out/ica.pem"
cat "$out/ca.pem" "$out/ca2.pem" >"$out/ca-both.pem"

n=0
for domain in $DOMAINS; do
	for tmpl in "$src"/leaf/*.tmpl; do
		variant=$(basename "$tmpl" .tmpl)
		if [ "$variant" = default ]; then
			name=$domain
		else
			name=$domain-$variant
		fi
		make_leaf "$tmpl" "$domain" "$name"
		n=$((n + 1))
	done
done
for tmpl in "$src"/single/*.tmpl; do
	domain=$(header "$tmpl" domain)
	if [ -z "$domain" ]; then
		echo "gen-certs: $tmpl: missing '# domain:' line" >&2
		exit 1
	fi
	make_leaf "$tmpl" "$domain" "$(basename "$tmpl" .tmpl)"
	n=$((n + 1))
done

date -u +%Y-%m-%dT%H:%M:%SZ >"$out/stamp"
echo "gen-certs: 2 CAs, an intermediate and $n leaf certificates in $out"
