#!/bin/bash
# `npm run demo` (after build/scripts/install-deps.sh): the two-site demo, `farside demo` — Earth and Mars,
# each a private Dovecot, Postfix, mail gateway and embedded BPA, linked over MTCP with a light-time delay;
# a mail with a fragmented attachment from Alice to Bob and his reply, every step printed as it happens,
# then everything stopped. Options go to `farside demo`: npm run demo -- --owlt 5 --keep
#
# `npm run demo -- --bytes` shows instead one mail through Farside's protocol core with the `farside` CLI,
# nothing started: RFC 5322 → Batch SMTP → a BPv7 bundle → MTCP-framed fragments → decoded back.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" != "--bytes" ]; then exec node bin/farside.js demo "$@"; fi
farside() { node bin/farside.js "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. An RFC 5322 mail from alice@earth.example to bob@mars.example, with a 6 KiB attachment"
{
  printf 'From: Alice <alice@earth.example>\r\nTo: Bob <bob@mars.example>\r\nSubject: Greetings from Earth\r\n'
  printf 'Message-ID: <demo-1@earth.example>\r\nMIME-Version: 1.0\r\n'
  printf 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
  printf 'Hi Bob,\r\n.a line that starts with a dot survives dot-stuffing\r\n\r\n--b\r\n'
  printf 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n'
  head -c 6144 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
  printf '\r\n--b--\r\n'
} > "$work/mail.eml"
wc -c < "$work/mail.eml" | xargs printf '%s bytes\n'

step "2. Batch SMTP (RFC 2442): the whole envelope travels with the mail"
farside bsmtp encode --from alice@earth.example --to bob@mars.example --to carol@mars.example \
  --ehlo gw.earth.example --envid demo-1 --notify SUCCESS,FAILURE < "$work/mail.eml" > "$work/mail.bsmtp"
head -c 400 "$work/mail.bsmtp" | sed -n '1,5p'
farside bsmtp decode < "$work/mail.bsmtp"

step "3. One BPv7 bundle to dtn://mars.example/email, fragmented to at most 2048 bytes, MTCP-framed"
farside bundle encode --source dtn://earth.example/email --destination dtn://mars.example/email \
  --report-to dtn://earth.example/email --crc 32c --lifetime 86400000 --max-size 2048 --mtcp \
  < "$work/mail.bsmtp" > "$work/fragments.mtcp"
wc -c < "$work/fragments.mtcp" | xargs printf '%s bytes of MTCP frames\n'

step "4. What a receiving node sees: one JSON line per fragment"
farside bundle decode --mtcp "$work/fragments.mtcp"

step "5. A real uD3TN status report from ../shared/vectors (when present)"
report=../shared/vectors/ud3tn/status-reports/mars-to-earth_09.bundle.bin
if [ -f "$report" ]; then farside bundle decode "$report"; else echo "(vectors not present)"; fi
printf '\nDone.\n'
