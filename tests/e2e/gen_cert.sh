#!/bin/sh
# SPDX-License-Identifier: MIT
# Creates a throw-away CA and a server certificate for 127.0.0.1/localhost.
#   usage: gen_cert.sh DIR
# Writes DIR/ca.pem (trust this: CURL_CA_BUNDLE, curl --cacert, SSL_CERT_FILE,
# NODE_EXTRA_CA_CERTS), DIR/ca.key, DIR/server.pem, DIR/server.key.
set -eu

dir=${1:?usage: gen_cert.sh DIR}
mkdir -p "$dir"
cd "$dir"

cat > ca.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = agentrace e2e test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

cat > server.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 30 \
    -keyout ca.key -out ca.pem -config ca.cnf 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -sha256 \
    -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -sha256 -days 30 -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr ca.srl
chmod 600 ca.key server.key
openssl verify -CAfile ca.pem server.pem >/dev/null
echo "$dir/ca.pem"
