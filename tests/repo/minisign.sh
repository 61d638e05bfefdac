#!/usr/bin/env bash
# minisign interoperability, both ways, with the real /usr/bin/minisign: what
# `probekit repo keygen` + `repo sign` make, minisign verifies (trusted comment
# included, byte-identical signatures); what minisign makes (-G -W, -G with a
# password, -S, -S -l), `probekit repo verify-sig` and `repo sign` read; altered
# files, comments and keys are refused by both.
. "$(dirname "$0")/../lib.sh"

MS=${MINISIGN:-/usr/bin/minisign}
if ! [ -x "$MS" ]; then
	skip "minisign: interop" "no $MS (apt-get install minisign)"
	exit 0
fi
if ! "$PK" repo keygen --help >/dev/null 2>&1; then
	skip "minisign: interop" "repo keygen not wired into main.c yet"
	exit 0
fi
cd "$TMP" || exit 1

# --- probekit's keys and signatures, checked by minisign ---
t="minisign: probekit keygen writes a 0600 secret and minisign's public key file"
if "$PK" repo keygen --public pk.pub --secret pk.sec >keygen.out 2>keygen.err &&
	[ "$(stat -c %a pk.sec)" = 600 ] && [ "$(stat -c %a pk.pub)" = 644 ] &&
	id=$(sed -n 's/^key id: //p' keygen.out) && [ -n "$id" ] &&
	[ "$(head -1 pk.pub)" = "untrusted comment: minisign public key $id" ] &&
	grep -qx "public key: $(sed -n 2p pk.pub)" keygen.out; then pass "$t"
else fail "$t" "$(cat keygen.out keygen.err | tr '\n' ' ')"; fi

t="minisign: keygen refuses to replace a key, --force does"
cp pk.sec pk.sec.orig
"$PK" repo keygen --public pk.pub --secret pk.sec >/dev/null 2>refuse.err; rc=$?
if [ $rc = 3 ] && grep -q "exists" refuse.err && cmp -s pk.sec pk.sec.orig &&
	"$PK" repo keygen --public k2.pub --secret k2.sec --force --comment "second key" >/dev/null 2>&1 &&
	[ "$(head -1 k2.pub)" = "untrusted comment: second key" ]; then pass "$t"
else fail "$t" "exit $rc: $(cat refuse.err)"; fi

head -c 100000 /dev/urandom >index.json
tc="probekit-index version=17 expires=1796000000 sha256=$(sha256sum index.json | cut -c1-64)"
t="minisign: minisign -V verifies probekit's signature and its trusted comment"
if "$PK" repo sign index.json --key pk.sec --trusted-comment "$tc" 2>sign.err &&
	"$MS" -Vm index.json -p pk.pub >ms-verify.out 2>&1 &&
	grep -qxF "Trusted comment: $tc" ms-verify.out; then pass "$t"
else fail "$t" "$(cat sign.err ms-verify.out 2>/dev/null | tr '\n' ' ')"; fi

t="minisign: minisign -S with probekit's secret key writes the same bytes"
if "$MS" -Sm index.json -s pk.sec -t "$tc" -x ms.minisig </dev/null >/dev/null 2>ms-sign.err &&
	cmp -s ms.minisig index.json.minisig; then pass "$t"
else fail "$t" "$(cat ms-sign.err; diff ms.minisig index.json.minisig | head -5)"; fi

t="minisign: probekit's default trusted comment is minisign's (timestamp, file, hashed)"
echo small >small.txt
if "$PK" repo sign small.txt --key pk.sec 2>/dev/null && "$MS" -Vm small.txt -p pk.pub >def.out 2>&1 &&
	grep -qE "^Trusted comment: timestamp:[0-9]+	file:small.txt	hashed$" def.out; then pass "$t"
else fail "$t" "$(tr '\n' ' ' <def.out)"; fi

t="minisign: a probekit-signed file altered afterwards is refused by minisign and probekit"
cp index.json altered.json && printf 'x' >>altered.json && cp index.json.minisig altered.json.minisig
"$MS" -Vm altered.json -p pk.pub >/dev/null 2>&1; msrc=$?
"$PK" repo verify-sig altered.json --key pk.pub >/dev/null 2>alt.err; rc=$?
if [ $msrc != 0 ] && [ $rc = 1 ] && grep -q "signature verification failed" alt.err; then pass "$t"
else fail "$t" "minisign exit $msrc, probekit exit $rc: $(cat alt.err)"; fi

# --- minisign's keys and signatures, read by probekit ---
t="minisign: probekit verifies minisign -G -W + -S, and prints the trusted comment"
if "$MS" -G -W -p ms.pub -s ms.sec >/dev/null 2>&1 &&
	"$MS" -Sm index.json -s ms.sec -t "$tc" -x idx.ms.minisig </dev/null >/dev/null 2>&1 &&
	"$PK" repo verify-sig index.json --key ms.pub --sig idx.ms.minisig >pv.out 2>pv.err &&
	grep -qxF "trusted comment: $tc" pv.out; then pass "$t"
else fail "$t" "$(cat pv.out pv.err | tr '\n' ' ')"; fi

t="minisign: the public key as a bare base64 line (like minisign -P)"
if "$PK" repo verify-sig index.json --key "$(sed -n 2p ms.pub)" --sig idx.ms.minisig >/dev/null 2>bare.err; then pass "$t"
else fail "$t" "$(cat bare.err)"; fi

t="minisign: probekit signs with minisign -W's secret key, minisign verifies"
if "$PK" repo sign small.txt --key ms.sec -o small.ms.minisig -t "from probekit" 2>sw.err &&
	"$MS" -Vm small.txt -p ms.pub -x small.ms.minisig 2>&1 | grep -qx "Trusted comment: from probekit"; then pass "$t"
else fail "$t" "$(cat sw.err)"; fi

t="minisign: a legacy (minisign -S -l) signature verifies"
if "$MS" -S -l -m small.txt -s ms.sec -t legacy -x small.legacy </dev/null >/dev/null 2>&1 &&
	sed -n 2p small.legacy | grep -q '^RW' &&
	"$PK" repo verify-sig small.txt --key ms.pub --sig small.legacy >leg.out 2>&1 &&
	grep -qx "trusted comment: legacy" leg.out; then pass "$t"
else fail "$t" "$(tr '\n' ' ' <leg.out)"; fi

t="minisign: a minisign-signed file altered afterwards is refused"
cp index.json alt2.json && printf '\0' | dd of=alt2.json bs=1 seek=500 conv=notrunc 2>/dev/null
"$PK" repo verify-sig alt2.json --key ms.pub --sig idx.ms.minisig >/dev/null 2>alt2.err; rc=$?
if [ $rc = 1 ] && grep -q "signature verification failed" alt2.err; then pass "$t"
else fail "$t" "exit $rc: $(cat alt2.err)"; fi

t="minisign: an altered trusted comment is refused"
sed 's/version=17/version=18/' idx.ms.minisig >idx.tc.minisig
"$PK" repo verify-sig index.json --key ms.pub --sig idx.tc.minisig >/dev/null 2>tc.err; rc=$?
"$MS" -Vm index.json -p ms.pub -x idx.tc.minisig >/dev/null 2>&1; msrc=$?
if [ $rc = 1 ] && [ $msrc != 0 ] && grep -q "trusted comment verification failed" tc.err; then pass "$t"
else fail "$t" "exit $rc (minisign $msrc): $(cat tc.err)"; fi

t="minisign: another key's signature names both key ids"
"$PK" repo verify-sig index.json --key pk.pub --sig idx.ms.minisig >/dev/null 2>wk.err; rc=$?
msid=$(sed -n 's/^untrusted comment: minisign public key //p' ms.pub)
pkid=$(sed -n 's/^untrusted comment: minisign public key //p' pk.pub)
if [ $rc = 1 ] && grep -qF "signed by key $msid, not $pkid" wk.err; then pass "$t"
else fail "$t" "exit $rc: $(cat wk.err)"; fi

t="minisign: a malformed signature file is refused with its reason, exit 1"
head -3 idx.ms.minisig >short.minisig
"$PK" repo verify-sig index.json --key ms.pub --sig short.minisig >/dev/null 2>short.err; rc=$?
if [ $rc = 1 ] && grep -q "expected 4 lines, found 3" short.err; then pass "$t"
else fail "$t" "exit $rc: $(cat short.err)"; fi

# --- a password-protected minisign key (scrypt, 1 GiB: done once) ---
t="minisign: a password-protected minisign key: minisign -S signs, probekit verifies"
if printf 'pw one\npw one\n' | "$MS" -G -p pw.pub -s pw.sec >/dev/null 2>&1 &&
	[ "$(sed -n 2p pw.sec | base64 -d 2>/dev/null | head -c 4)" = EdSc ] &&
	printf 'pw one\n' | "$MS" -S -m small.txt -s pw.sec -x small.pw.minisig -t "pw key" >/dev/null 2>&1 &&
	"$PK" repo verify-sig small.txt --key pw.pub --sig small.pw.minisig 2>&1 | grep -qx "trusted comment: pw key"; then
	pass "$t"
else fail "$t" "minisign could not make or use the key, or probekit refused its signature"; fi

t="minisign: probekit signs with it (password from --password-file), minisign verifies"
printf 'pw one\n' >pwfile
if "$PK" repo sign small.txt --key pw.sec --password-file pwfile -o small.pw2.minisig -t "pw ok" 2>pw2.err &&
	"$MS" -Vm small.txt -p pw.pub -x small.pw2.minisig 2>&1 | grep -qx "Trusted comment: pw ok"; then pass "$t"
else fail "$t" "$(cat pw2.err)"; fi

t="minisign: a wrong password (PROBEKIT_KEY_PASSWORD) and none are refused"
PROBEKIT_KEY_PASSWORD="pw two" "$PK" repo sign small.txt --key pw.sec -o x.minisig 2>pw3.err; rc=$?
env -u PROBEKIT_KEY_PASSWORD "$PK" repo sign small.txt --key pw.sec -o y.minisig 2>pw4.err; rc2=$?
if [ $rc = 3 ] && grep -q "wrong password" pw3.err && [ $rc2 = 3 ] && grep -q "PROBEKIT_KEY_PASSWORD" pw4.err &&
	! [ -e x.minisig ] && ! [ -e y.minisig ]; then pass "$t"
else fail "$t" "exit $rc/$rc2: $(cat pw3.err pw4.err | tr '\n' ' ')"; fi

t="minisign: usage errors exit 2"
"$PK" repo sign small.txt >/dev/null 2>&1; a=$?
"$PK" repo verify-sig --key pk.pub >/dev/null 2>&1; b=$?
"$PK" repo keygen --public only.pub >/dev/null 2>&1; c=$?
"$PK" repo keygen --bogus >/dev/null 2>&1; d=$?
if [ "$a$b$c$d" = 2222 ]; then pass "$t"; else fail "$t" "exits $a $b $c $d"; fi
