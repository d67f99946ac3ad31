#!/bin/sh
# Makes the certificates the test STS and its clients use, in DIR:
#   ca.pem ca.key                 the test CA
#   server.pem server.key         127.0.0.1 and localhost, signed by the test CA
#   rogue-ca.pem rogue.pem rogue.key
#                                 127.0.0.1 and localhost, signed by another CA
#   wronghost.pem wronghost.key   signed by the test CA, for wrong.example only
#   certs/                        hashed CA folder (CAPATH) holding only ca.pem
# EC P-256 keys: quick to make. Usage: make_ca.sh DIR
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 DIR  (the folder to write the test CA and certificates into)" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# new_ca NAME SUBJECT: self-signed CA certificate NAME.pem with key NAME.key
new_ca() {
    new_key "$1.key"
    openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 3650 -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# new_leaf NAME CA SAN: NAME.pem/NAME.key for SAN, signed by CA.pem/CA.key
new_leaf() {
    new_key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" \
        "subjectAltName=$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -days 3650 -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

new_ca ca "/CN=pam_assume_role test CA"
new_leaf server ca "IP:127.0.0.1,DNS:localhost"
new_leaf wronghost ca "DNS:wrong.example"
new_ca rogue-ca "/CN=pam_assume_role rogue CA"
new_leaf rogue rogue-ca "IP:127.0.0.1,DNS:localhost"
rm -f ./*.srl

# Certificates are public; keys stay 0600. Clients running as other users
# (the helper drops to the user) must read the CA.
chmod 0644 ./*.pem
rm -rf certs
mkdir certs
chmod 0755 . certs
cp ca.pem certs/ca.pem
chmod 0644 certs/ca.pem
openssl rehash certs
