#!/usr/bin/python3
"""tests/smime/oaepcert.py - make a test certificate whose RSA key is id-RSAES-OAEP (RFC 4055
section 1.2: the key is for RSAES-OAEP only), which `openssl x509` cannot make: the
rsaEncryption certificate CERT has its SubjectPublicKeyInfo algorithm replaced and is signed
again (sha256WithRSAEncryption) with the CA key CAKEY.

Usage: oaepcert.py CERT.pem CAKEY.pem PARAMS > out.pem
PARAMS: none (no parameters: any hash), sha256 (SHA-256 and MGF1-SHA-256), or label (a
non-empty pSourceFunc label, which CMS cannot carry).
"""
import base64
import ssl
import subprocess
import sys
import tempfile


def tlv(b, off):
    """(tag, header length, content length) of the DER element at OFF"""
    tag, l = b[off], b[off + 1]
    if l < 0x80:
        return tag, 2, l
    n = l & 0x7f
    return tag, 2 + n, int.from_bytes(b[off + 2:off + 2 + n], "big")


def enc(tag, content):
    """one DER element"""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + content


def children(b):
    """the elements of a constructed content B, each as bytes"""
    out, off = [], 0
    while off < len(b):
        _, h, l = tlv(b, off)
        out.append(b[off:off + h + l])
        off += h + l
    return out


def content(e):
    _, h, l = tlv(e, 0)
    return e[h:h + l]


OID_OAEP = enc(0x06, bytes.fromhex("2a864886f70d010107"))
SHA256 = enc(0x30, enc(0x06, bytes.fromhex("608648016503040201")) + b"\x05\x00")
MGF1 = enc(0x06, bytes.fromhex("2a864886f70d010108"))
PSPECIFIED = enc(0x06, bytes.fromhex("2a864886f70d010109"))


def main():
    cert_pem, cakey, mode = sys.argv[1:4]
    der = ssl.PEM_cert_to_DER_cert(open(cert_pem).read())
    tbs, sigalg, _ = children(content(der))
    parts = children(content(tbs))
    i = 6 if parts[0][0] == 0xa0 else 5		# the SubjectPublicKeyInfo
    spki = children(content(parts[i]))
    if mode == "none":
        alg = enc(0x30, OID_OAEP)
    elif mode == "sha256":
        alg = enc(0x30, OID_OAEP + enc(0x30, enc(0xa0, SHA256) + enc(0xa1, enc(0x30, MGF1 + SHA256))))
    elif mode == "label":
        alg = enc(0x30, OID_OAEP + enc(0x30, enc(0xa2, enc(0x30, PSPECIFIED + enc(0x04, b"x")))))
    else:
        sys.exit("PARAMS must be none, sha256 or label")
    parts[i] = enc(0x30, alg + spki[1])
    tbs = enc(0x30, b"".join(parts))
    with tempfile.NamedTemporaryFile() as f:
        f.write(tbs)
        f.flush()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", cakey, f.name],
                             check=True, capture_output=True).stdout
    out = enc(0x30, tbs + sigalg + enc(0x03, b"\x00" + sig))
    b64 = base64.b64encode(out).decode()
    sys.stdout.write("-----BEGIN CERTIFICATE-----\n" +
                     "".join(b64[k:k + 64] + "\n" for k in range(0, len(b64), 64)) +
                     "-----END CERTIFICATE-----\n")


main()
