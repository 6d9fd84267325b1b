#!/usr/bin/env bash
# Make a self-signed certificate for trying the stack out:
#   deploy/make-tls-cert.sh DIR [NAME]   writes DIR/cert.pem and DIR/key.pem
# NAME (default localhost) goes into the certificate with 127.0.0.1.
# In production put the real certificate and key in their place.
set -euo pipefail
dir=${1:?usage: make-tls-cert.sh DIR [NAME]}
name=${2:-localhost}
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
    -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 644 "$dir/cert.pem"
chmod 600 "$dir/key.pem"
echo "Wrote $dir/cert.pem and $dir/key.pem for $name"
