// tests/openpgp/opgpjs.cjs - OpenPGP.js (npm "openpgp" 6) as the second implementation that makes
// and opens RFC 9580 SEIPD version 2 messages for tests/openpgp/formats.sh and roster.sh.
//
// Usage: node opgpjs.cjs encrypt AEAD CIPHER SKOUT PUBKEY [SIGNKEY] < PLAIN > MSG
//        node opgpjs.cjs decrypt SECKEY [VERIFYKEY] < MSG > PLAIN
//        node opgpjs.cjs genkey-aead EMAIL > SECKEY
//
// OPENPGPJS names the directory holding node_modules/openpgp.  encrypt makes a binary message
// for the (armored) public key PUBKEY, or for every key of an armored keyring (a list's
// roster, for tests/openpgp/roster.sh): SEIPD version 2 with AEAD (eax, ocb or gcm) and
// CIPHER (aes128, aes256, ...), so v6 PKESKs, signed with the armored secret key SIGNKEY
// when given;
// OPGPJS_CHUNK, when set, is the chunk size octet (0..16: chunks of 2^(N+6) octets);
// the session key goes to the file SKOUT as "ALGO:HEX" (RFC 4880 algorithm id), as gpg
// --show-session-key writes it.  decrypt opens a binary or armored message with the armored
// secret key SECKEY (no passphrase) and, with VERIFYKEY, requires a valid signature by it;
// it prints "pkesk_version V" and "seipd_version V" on standard error.  genkey-aead makes an
// armored v4 secret key (ed25519 + cv25519, no passphrase) whose self-signature announces
// SEIPDv1, GnuPG's AEAD packet (features 0x02, as GnuPG 2.4 keys do) and SEIPDv2: OpenPGP.js
// itself never announces 0x02, so its SEIPDv2 bit is widened for this key.  Exit 0 on success,
// 1 with the error on standard error.
'use strict';
const fs = require('fs');
const openpgp = require(require('path').join(process.env.OPENPGPJS || '.', 'node_modules',
	'openpgp'));

const ids = { aes128: 7, aes192: 8, aes256: 9 };
const keylens = { aes128: 16, aes192: 24, aes256: 32 };

// readAll - standard input as a Uint8Array
function readAll() {
	return new Uint8Array(fs.readFileSync(0));
}

// encrypt - SEIPDv2 for the recipients of PUBKEY (one key, or a keyring such as a list's
// roster: every key in it), optionally signed
async function encrypt(aead, cipher, skout, pub, sign) {
	const key = await openpgp.readKeys({ armoredKeys: fs.readFileSync(pub, 'utf8') });
	const sk = new Uint8Array(require('crypto').randomBytes(keylens[cipher]));
	const opts = {
		message: await openpgp.createMessage({ binary: readAll() }),
		encryptionKeys: key,
		sessionKey: { data: sk, algorithm: cipher, aeadAlgorithm: aead },
		format: 'binary',
	};
	if (process.env.OPGPJS_CHUNK)
		opts.config = { aeadChunkSizeByte: Number(process.env.OPGPJS_CHUNK) };
	if (sign)
		opts.signingKeys = await openpgp.readPrivateKey({
			armoredKey: fs.readFileSync(sign, 'utf8') });
	const out = await openpgp.encrypt(opts);
	fs.writeFileSync(skout, ids[cipher] + ':' + Buffer.from(sk).toString('hex').toUpperCase() +
		'\n');
	fs.writeSync(1, out);
}

// decrypt - open MSG with SECKEY, check the signature by VERIFYKEY when given
async function decrypt(sec, verify) {
	const key = await openpgp.readPrivateKey({ armoredKey: fs.readFileSync(sec, 'utf8') });
	const raw = readAll();
	const text = Buffer.from(raw).toString('latin1');
	const message = text.startsWith('-----BEGIN PGP MESSAGE')
		? await openpgp.readMessage({ armoredMessage: text })
		: await openpgp.readMessage({ binaryMessage: raw });
	for (const p of message.packets) {
		if (p.constructor.tag === openpgp.enums.packet.publicKeyEncryptedSessionKey)
			process.stderr.write('pkesk_version ' + p.version + '\n');
		if (p.constructor.tag === openpgp.enums.packet.symEncryptedIntegrityProtectedData)
			process.stderr.write('seipd_version ' + p.version + '\n');
	}
	const opts = { message, decryptionKeys: key, format: 'binary' };
	if (verify) {
		opts.verificationKeys = await openpgp.readKey({
			armoredKey: fs.readFileSync(verify, 'utf8') });
		opts.expectSigned = true;
	}
	const { data, signatures } = await openpgp.decrypt(opts);
	if (verify)
		await signatures[0].verified;	// throws unless the signature is valid
	fs.writeSync(1, data);
}

// genkeyAead - a key announcing features 0x01 | 0x02 | 0x08
async function genkeyAead(email) {
	openpgp.enums.features.seipdv2 = 0x08 | 0x02;
	const { privateKey } = await openpgp.generateKey({
		type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email }], format: 'armored',
		config: { aeadProtect: true, v6Keys: false },
	});
	process.stdout.write(privateKey);
}

const [cmd, ...args] = process.argv.slice(2);
const run = cmd === 'encrypt' && args.length >= 4 ? encrypt(...args)
	: cmd === 'genkey-aead' && args.length === 1 ? genkeyAead(...args)
	: cmd === 'decrypt' && args.length >= 1 ? decrypt(...args)
	: Promise.reject(new Error('usage: encrypt AEAD CIPHER SKOUT PUBKEY [SIGNKEY] | ' +
		'decrypt SECKEY [VERIFYKEY]'));
run.catch((e) => {
	process.stderr.write('opgpjs: ' + (e && e.message ? e.message : e) + '\n');
	process.exit(1);
});
