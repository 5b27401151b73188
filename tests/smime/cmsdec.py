#!/usr/bin/python3
"""tests/smime/cmsdec.py - a second CMS decryptor for the S/MIME tests, written from RFC 5652,
RFC 5083/5084, RFC 3560/8017 and RFC 5753 with python3-cryptography's primitives and none of
OpenSSL's CMS code: it opens a subscriber's copy with the subscriber's private key.

Usage: cmsdec.py KEY.pem < copy.der > content
Takes EnvelopedData (AES-CBC, DES-EDE3-CBC) and AuthEnvelopedData (AES-GCM, the MAC checked
over the authenticated attributes), with exactly one RecipientInfo: KeyTrans (RSA PKCS#1 v1.5
or RSAES-OAEP with its parameters) or KeyAgree (ephemeral-static ECDH, the X9.63 KDF of the
scheme, AES key wrap).  Writes "cmsdec: TYPE, RI, KEY-ALGORITHM, CONTENT-CIPHER" on standard
error.  Exit 0 when the content decrypts; 1 when it does not; 3 when the copy does not have
exactly one RecipientInfo; 2 for anything it does not know.
"""
import sys

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap


def die(code, msg):
    sys.stderr.write("cmsdec: %s\n" % msg)
    sys.exit(code)


def tlv(b, off):
    """(tag, header octets, content octets or None for indefinite) at OFF"""
    tag, l = b[off], b[off + 1]
    if l < 0x80:
        return tag, 2, l
    if l == 0x80:
        return tag, 2, None
    n = l & 0x7f
    return tag, 2 + n, int.from_bytes(b[off + 2:off + 2 + n], "big")


def elems(b):
    """[(tag, whole element, content)] of the elements in B (BER indefinite lengths too)"""
    out, off = [], 0
    while off < len(b):
        tag, h, l = tlv(b, off)
        if tag == 0 and l == 0:
            break
        if l is None:
            inner = elems(b[off + h:])
            n = sum(len(e[1]) for e in inner) + 2
            out.append((tag, b[off:off + h + n], b[off + h:off + h + n - 2]))
            off += h + n
        else:
            out.append((tag, b[off:off + h + l], b[off + h:off + h + l]))
            off += h + l
    return out


def octets(tag, c):
    """the value of an OCTET STRING, primitive or constructed"""
    if tag & 0x20:
        return b"".join(octets(t, x) for t, _, x in elems(c))
    return c


def oid(c):
    """dotted text of an OBJECT IDENTIFIER's content"""
    parts, v = [], 0
    for x in c:
        v = v << 7 | (x & 0x7f)
        if not x & 0x80:
            parts.append(v)
            v = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first] + parts[1:])


HASHES = {"1.3.14.3.2.26": hashes.SHA1, "2.16.840.1.101.3.4.2.4": hashes.SHA224,
          "2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
          "2.16.840.1.101.3.4.2.3": hashes.SHA512}
KDF = {"1.3.133.16.840.63.0.2": hashes.SHA1, "1.3.132.1.11.0": hashes.SHA224,
       "1.3.132.1.11.1": hashes.SHA256, "1.3.132.1.11.2": hashes.SHA384,
       "1.3.132.1.11.3": hashes.SHA512}
WRAP = {"2.16.840.1.101.3.4.1.5": 16, "2.16.840.1.101.3.4.1.25": 24, "2.16.840.1.101.3.4.1.45": 32}
CBC = {"2.16.840.1.101.3.4.1.2": "AES-128-CBC", "2.16.840.1.101.3.4.1.22": "AES-192-CBC",
       "2.16.840.1.101.3.4.1.42": "AES-256-CBC", "1.2.840.113549.3.7": "DES-EDE3-CBC"}
GCM = {"2.16.840.1.101.3.4.1.6": "AES-128-GCM", "2.16.840.1.101.3.4.1.26": "AES-192-GCM",
       "2.16.840.1.101.3.4.1.46": "AES-256-GCM"}


def hash_of(alg, default):
    """the hash of an AlgorithmIdentifier element list (None: DEFAULT)"""
    if alg is None:
        return default()
    o = oid(elems(alg)[0][2])
    if o not in HASHES:
        die(2, "unknown hash " + o)
    return HASHES[o]()


def ktri(key, ri):
    f = elems(ri)
    alg = elems(f[2][2])
    a, ek = oid(alg[0][2]), f[3][2]
    if a == "1.2.840.113549.1.1.1":
        return key.decrypt(ek, apad.PKCS1v15()), "RSA PKCS#1 v1.5"
    if a != "1.2.840.113549.1.1.7":
        die(2, "unknown key transport " + a)
    md, mgf = hashes.SHA1(), hashes.SHA1()
    if len(alg) > 1 and alg[1][0] == 0x30:
        for tag, _, c in elems(alg[1][2]):
            if tag == 0xa0:
                md = hash_of(elems(c)[0][2], hashes.SHA1)
            elif tag == 0xa1:
                mg = elems(elems(c)[0][2])
                if oid(mg[0][2]) != "1.2.840.113549.1.1.8":
                    die(2, "unknown mask generation function")
                mgf = hash_of(mg[1][2], hashes.SHA1)
            elif tag == 0xa2:
                die(2, "OAEP label")
    cek = key.decrypt(ek, apad.OAEP(mgf=apad.MGF1(algorithm=mgf), algorithm=md, label=None))
    return cek, "RSAES-OAEP %s/MGF1-%s" % (md.name, mgf.name)


def kari(key, ri):
    f = elems(ri)
    i = 1
    orig = elems(f[i][2])[0]			# [0] EXPLICIT OriginatorIdentifierOrKey
    if orig[0] != 0xa1:
        die(2, "KeyAgree originator is not an originatorKey")
    point = elems(orig[2])[1][2][1:]		# BIT STRING, no unused bits
    i += 1
    ukm = None
    if f[i][0] == 0xa1:
        ukm = octets(*elems(f[i][2])[0][::2])
        i += 1
    kea = elems(f[i][2])
    scheme = oid(kea[0][2])
    wrap = oid(elems(kea[1][2])[0][2])
    if scheme not in KDF or wrap not in WRAP:
        die(2, "unknown key agreement %s / wrap %s" % (scheme, wrap))
    reks = elems(f[i + 1][2])
    if len(reks) != 1:
        die(3, "%d keys in the KeyAgree RecipientInfo" % len(reks))
    ek = elems(reks[0][2])[1][2]
    peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, point)
    z = key.exchange(ec.ECDH(), peer)
    # ECC-CMS-SharedInfo (RFC 5753 section 7.2)
    def enc(tag, c):
        n = len(c)
        return bytes([tag, n]) + c if n < 128 else bytes([tag, 0x81, n]) + c
    si = enc(0x30, elems(kea[1][2])[0][1])	# keyInfo: the wrap algorithm, no parameters
    if ukm is not None:
        si += enc(0xa0, enc(0x04, ukm))
    si += enc(0xa2, enc(0x04, (WRAP[wrap] * 8).to_bytes(4, "big")))
    kek = X963KDF(algorithm=KDF[scheme](), length=WRAP[wrap], sharedinfo=enc(0x30, si)).derive(z)
    return aes_key_unwrap(kek, ek), "ECDH %s %s ukm=%s" % (key.curve.name, scheme,
                                                          "yes" if ukm else "no")


def main():
    if len(sys.argv) != 2:
        die(2, "usage: cmsdec.py KEY.pem < copy.der")
    key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), password=None)
    der = sys.stdin.buffer.read()
    ci = elems(elems(der)[0][2])
    kind = oid(ci[0][2])
    if kind not in ("1.2.840.113549.1.7.3", "1.2.840.113549.1.9.16.1.23"):
        die(2, "not enveloped-data or authEnvelopedData: " + kind)
    auth = kind.endswith(".23")
    body = elems(elems(ci[1][2])[0][2])
    i = 1
    if body[i][0] == 0xa0:
        i += 1					# originatorInfo
    ris = elems(body[i][2])
    if len(ris) != 1:
        die(3, "%d RecipientInfos" % len(ris))
    tag, _, ri = ris[0]
    if tag == 0x30:
        cek, how = ktri(key, ri)
        rname = "ktri"
    elif tag == 0xa1:
        cek, how = kari(key, ri)
        rname = "kari"
    else:
        die(2, "RecipientInfo [%d] not known" % (tag & 0x1f))
    eci = elems(body[i + 1][2])
    alg = elems(eci[1][2])
    calg = oid(alg[0][2])
    ct = octets(eci[2][0] & 0x20 | 0x04, eci[2][2])
    if auth:
        if calg not in GCM:
            die(2, "content cipher " + calg)
        rest = body[i + 2:]
        aad = b""
        if rest[0][0] == 0xa1:			# authAttrs, MACed as a SET OF
            aad = b"\x31" + rest[0][1][1:]
            rest = rest[1:]
        mac = octets(rest[0][0], rest[0][2])
        nonce = elems(alg[1][2])[0][2]
        d = Cipher(algorithms.AES(cek), modes.GCM(nonce, mac, min_tag_length=len(mac))).decryptor()
        d.authenticate_additional_data(aad)
        out = d.update(ct) + d.finalize()
        cname = GCM[calg]
    else:
        if calg not in CBC:
            die(2, "content cipher " + calg)
        iv = alg[1][2]
        a = algorithms.TripleDES(cek) if calg == "1.2.840.113549.3.7" else algorithms.AES(cek)
        d = Cipher(a, modes.CBC(iv)).decryptor()
        u = padding.PKCS7(a.block_size).unpadder()
        out = u.update(d.update(ct) + d.finalize()) + u.finalize()
        cname = CBC[calg]
    sys.stderr.write("cmsdec: %s, %s, %s, %s\n" % ("authEnvelopedData" if auth else
                                                  "envelopedData", rname, how, cname))
    sys.stdout.buffer.write(out)


try:
    main()
except SystemExit:
    raise
except Exception as e:				# a wrong key, a bad MAC, bad padding
    die(1, "does not decrypt: %s: %s" % (type(e).__name__, e))
