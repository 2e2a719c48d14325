#!/bin/sh
# Makes a throw-away CA, a server certificate for localhost / 127.0.0.1 and a client certificate
# (for mTLS) in DIR, for weft's TLS export tests. Usage: make-certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=weft test CA" \
  -keyout ca-key.pem -out ca.pem 2>/dev/null
for who in server client; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=weft test $who" \
    -keyout "$who-key.pem" -out "$who.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=%s\n' \
    "$([ "$who" = server ] && echo serverAuth || echo clientAuth)" > "$who.ext"
  openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
    -extfile "$who.ext" -out "$who.pem" 2>/dev/null
done
