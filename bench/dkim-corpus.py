# bench/dkim-corpus.py - make the signed corpus for bench/dkim-verify.sh.
#
# usage: /usr/bin/python3 bench/dkim-corpus.py OUTDIR COUNT CLIENTS DOMAINS SEED
#
# Run by dkim-verify.sh (Debian's /usr/bin/python3 with python3-dkim, which brings
# python3-nacl for Ed25519; openssl(1) makes the RSA keys).  Writes into OUTDIR:
#   records/secure.test.records  one DKIM key TXT record per signing domain, for
#                                tests/dns/fixture.sh (zone secure.test: DNSSEC secure)
#   client-K.msgs (K = 1..CLIENTS)  the COUNT messages dealt round-robin to the clients, in
#                                the framing bench/dkim-send.lua reads (see there)
#   prime.msgs                   the first message alone (queue id P000000), sent to each
#                                milter once before its warm-up pass
#   sample.eml                   the first message as a plain RFC 5322 file (CRLF), for eyes
#   summary                      one line: messages, bytes, rsa/ed25519 signature counts
#
# DOMAINS signing domains dNN.secure.test, each with one selector: every fifth one an
# Ed25519 key (selector eNN, ed25519-sha256), the others RSA 2048 (selector sNN, rsa-sha256).
# Messages are 2-20 KB of ASCII text (sizes spread evenly), signed relaxed/relaxed over
# from:to:subject:date:message-id:mime-version:content-type, with a Received field added after
# signing as a relay would.  SEED makes the texts reproducible (keys are new every run).
# Signing uses one worker per CPU (multiprocessing inside this one process tree); dkimpy's
# pure-Python RSA takes ~6 ms a signature.
# Exit status 0 on success; a message on stderr and 1 otherwise.

import base64
import multiprocessing
import os
import random
import subprocess
import sys

import dkim
import nacl.signing

SIGNED = [b'from', b'to', b'subject', b'date', b'message-id', b'mime-version',
          b'content-type']
KEY_TTL = 3600          # key records outlive a warm-up pass followed by a measured one

WORDS = ('the of and to in is that for it as was with be by on not he this are or his from '
         'at which but have an they you were her she there been one all we their has would '
         'when if so no will what more out up into do any your can only other new some could '
         'time these two may then first than such like our over also about message mail '
         'signature domain record server resolver header body canonical relaxed verify '
         'report quarterly meeting agenda budget review draft attached please regards '
         'thanks schedule project update deadline customer invoice shipment').split()


def rsa_key(path):
    """rsa_key - a new RSA 2048 key in PEM at PATH; the SubjectPublicKeyInfo in base64"""
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'rsa', '-pkeyopt',
                    'rsa_keygen_bits:2048', '-out', path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    der = subprocess.run(['openssl', 'pkey', '-in', path, '-pubout', '-outform', 'DER'],
                         check=True, stdout=subprocess.PIPE).stdout
    return open(path, 'rb').read(), base64.b64encode(der).decode()


def ed_key():
    """ed_key - a new Ed25519 key: dkimpy's private form (base64 seed), the public key"""
    seed = os.urandom(32)
    pub = nacl.signing.SigningKey(seed).verify_key.encode()
    return base64.b64encode(seed), base64.b64encode(pub).decode()


def txt_strings(value):
    """txt_strings - VALUE as quoted TXT character-strings of at most 255 octets"""
    return ' '.join('"%s"' % value[i:i + 250] for i in range(0, len(value), 250))


def body_text(rng, size):
    """body_text - about SIZE octets of wrapped text lines, CRLF-terminated"""
    lines, total = [], 0
    while total < size:
        n = rng.randint(6, 13)
        line = ' '.join(rng.choice(WORDS) for _ in range(n))
        if rng.random() < 0.08:
            line = ''                        # paragraph breaks
        line = line[:1].upper() + line[1:]
        lines.append(line)
        total += len(line) + 2
    return ('\r\n'.join(lines) + '\r\n').encode()


def make_message(i, rng, dom):
    """make_message - the unsigned message I from domain DOM (a dict), as bytes"""
    size = 2048 + (i * 7919) % (18 * 1024)   # 2 KB .. 20 KB, evenly spread
    user = 'user%d' % rng.randint(1, 500)
    subj = ' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 8)))
    day = 1 + i % 28
    hdr = ('From: "%s %s" <%s@%s>\r\n'
           'To: Bench Recipient <rcpt%d@example.net>\r\n'
           'Subject: %s\r\n'
           'Date: Mon, %02d Nov 2026 10:%02d:%02d +0000\r\n'
           'Message-ID: <bench.%d.%d@%s>\r\n'
           'MIME-Version: 1.0\r\n'
           'Content-Type: text/plain; charset=us-ascii\r\n'
           % (user.capitalize(), dom['name'].split('.')[0].upper(), user, dom['name'],
              i % 50, subj, day, i % 60, (i * 7) % 60, i, rng.randint(1, 10**9),
              dom['name']))
    head = hdr.encode()
    return head + b'\r\n' + body_text(rng, size - len(head))


def sign_job(job):
    """sign_job - (index, message, domain) -> (index, signed message) or an error string"""
    i, msg, dom = job
    try:
        sig = dkim.sign(msg, dom['selector'].encode(), dom['name'].encode(), dom['private'],
                        canonicalize=(b'relaxed', b'relaxed'),
                        signature_algorithm=dom['alg'].encode(), include_headers=SIGNED)
    except Exception as e:                    # report which message failed, and why
        return i, 'sign error (%s, %s): %s' % (dom['name'], dom['alg'], e)
    recv = ('Received: from mail.%s (mail.%s [192.0.2.%d])\r\n\tby mx.bench.test '
            '(Postfix) with ESMTPS id BENCH%06d\r\n\tfor <rcpt@example.net>; '
            'Mon, 23 Nov 2026 10:00:00 +0000\r\n'
            % (dom['name'], dom['name'], 1 + i % 250, i)).encode()
    return i, recv + sig + msg


def fields_and_body(msg):
    """fields_and_body - split a CRLF message into [(name, value)] (value: all after the
    colon, folds kept as CRLF + white space) and the body"""
    head, _, body = msg.partition(b'\r\n\r\n')
    fields = []
    for line in head.split(b'\r\n'):
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1][1] += b'\r\n' + line
        else:
            name, _, value = line.partition(b':')
            fields.append([name, value])
    return fields, body


def frame(qid, msg):
    """frame - one message in dkim-send.lua's framing"""
    fields, body = fields_and_body(msg)
    out = [b'M %s %d %d\n' % (qid.encode(), len(fields), len(body))]
    for name, value in fields:
        out.append(b'%d %d\n' % (len(name), len(value)))
        out.append(name)
        out.append(value)
    out.append(body)
    return b''.join(out)


def main():
    if len(sys.argv) != 6:
        sys.exit('usage: dkim-corpus.py OUTDIR COUNT CLIENTS DOMAINS SEED')
    outdir, count, clients, ndom, seed = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                          int(sys.argv[4]), int(sys.argv[5]))
    os.makedirs(os.path.join(outdir, 'records'), exist_ok=True)
    os.makedirs(os.path.join(outdir, 'keys'), exist_ok=True)
    rng = random.Random(seed)

    domains, records = [], []
    for d in range(1, ndom + 1):
        name = 'd%02d.secure.test' % d
        if d % 5 == 0:
            sel, alg = 'e%02d' % d, 'ed25519-sha256'
            private, pub = ed_key()
            rec = 'v=DKIM1; k=ed25519; p=' + pub
        else:
            sel, alg = 's%02d' % d, 'rsa-sha256'
            private, pub = rsa_key(os.path.join(outdir, 'keys', name + '.pem'))
            rec = 'v=DKIM1; k=rsa; p=' + pub
        domains.append({'name': name, 'selector': sel, 'alg': alg, 'private': private})
        # relative to secure.test: SEL._domainkey.dNN
        records.append('%s._domainkey.d%02d\t%d\tTXT\t%s\n' % (sel, d, KEY_TTL,
                                                                 txt_strings(rec)))
    with open(os.path.join(outdir, 'records', 'secure.test.records'), 'w') as f:
        f.writelines(records)

    jobs = []
    for i in range(count):
        dom = domains[rng.randrange(ndom)]
        jobs.append((i, make_message(i, rng, dom), dom))
    with multiprocessing.Pool(os.cpu_count() or 1) as pool:
        signed = dict(pool.imap_unordered(sign_job, jobs, chunksize=32))
    errors = [v for v in signed.values() if isinstance(v, str)]
    if errors:
        sys.exit('dkim-corpus.py: %d signing errors, first: %s' % (len(errors), errors[0]))

    outs = [open(os.path.join(outdir, 'client-%d.msgs' % (k + 1)), 'wb')
            for k in range(clients)]
    nbytes = 0
    for i in range(count):
        msg = signed[i]
        nbytes += len(msg)
        outs[i % clients].write(frame('B%06d' % i, msg))
        if i == 0:
            with open(os.path.join(outdir, 'sample.eml'), 'wb') as f:
                f.write(msg)
            with open(os.path.join(outdir, 'prime.msgs'), 'wb') as f:
                f.write(frame('P000000', msg))
    for f in outs:
        f.close()
    n_ed = sum(1 for _, _, d in jobs if d['alg'] == 'ed25519-sha256')
    with open(os.path.join(outdir, 'summary'), 'w') as f:
        f.write('%d messages, %d bytes (mean %d), %d rsa-sha256 + %d ed25519-sha256 '
                'signatures, %d signing domains (%d rsa 2048, %d ed25519)\n'
                % (count, nbytes, nbytes // max(count, 1), count - n_ed, n_ed, ndom,
                   sum(1 for d in domains if d['alg'] == 'rsa-sha256'),
                   sum(1 for d in domains if d['alg'] != 'rsa-sha256')))


if __name__ == '__main__':
    main()
