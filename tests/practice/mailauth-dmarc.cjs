'use strict';
// tests/practice/mailauth-dmarc.cjs - one DMARC evaluation (RFC 9989) by mailauth, an
// implementation that is not postward's, for tests/practice/milter.sh to compare with
// postward's verdict on the same case.
//
// usage: node mailauth-dmarc.cjs MAILAUTH-PREFIX SERVER FROM [DKIM-DOMAINS [SPF-DOMAINS]]
//   MAILAUTH-PREFIX  the npm prefix mailauth was installed into (PREFIX/node_modules/mailauth)
//   SERVER           the DNS server to ask, ADDR:PORT (the NSD fixture, tests/dns/fixture.sh)
//   FROM             the RFC5322.From address
//   DKIM-DOMAINS     comma-separated d= domains of passing DKIM signatures ("-" or "": none)
//   SPF-DOMAINS      comma-separated domains that passed SPF ("-" or "": none)
// Prints one line:
//   result=R policy=P t=y|n disposition=D org=ORG record=REC
// R is mailauth's status.result (pass, fail, none, temperror); P the policy in force (p for
// the author domain's own record, else np for a non-existent author domain or sp, each falling
// back as mailauth does) before t=y; D what is done with the message after t=y: none for a
// pass, else the policy mailauth evaluated (its "policy"); ORG the Organizational Domain
// mailauth reports (its "domain"); REC the domain of the record applied ("-" when none).
// "-" for a field mailauth does not give.  mailauth does not validate DNSSEC: only the
// results are compared, not the DNSSEC status.  Exit 0 when it printed, 2 on a usage error,
// 1 when mailauth threw.

const path = require('node:path');
const { Resolver } = require('node:dns').promises;

const [prefix, server, from, dkimArg, spfArg] = process.argv.slice(2);
if (!prefix || !server || !from) {
	process.stderr.write('usage: mailauth-dmarc.cjs MAILAUTH-PREFIX SERVER FROM [DKIM [SPF]]\n');
	process.exit(2);
}
const lib = path.join(prefix, 'node_modules', 'mailauth', 'lib', 'dmarc');
const { evaluateDmarc } = require(lib);
const { domainExists } = require(path.join(lib, 'get-dmarc-record'));

// list - the domains of a comma-separated argument; "-" and "" are none
const list = arg => (arg && arg !== '-' ? arg.split(',').filter(d => d) : []);

// resolver - mailauth's resolver contract (that of dns.promises.resolve): resolve(name, rrtype)
// gives the records (TXT as arrays of character-strings), or throws an error whose code is
// ENOTFOUND for NXDOMAIN and ENODATA for no records of the type; every other code is a failure.
const dns = new Resolver({ timeout: 3000, tries: 2 });
dns.setServers([server]);
const resolver = (name, rrtype) => dns.resolve(name, rrtype);

// main - evaluate, then print the line described above
const main = async () => {
	const { response, reason } = await evaluateDmarc({
		headerFrom: from,
		fromFields: 1,
		dkimDomains: list(dkimArg).map(domain => ({ domain })),
		spfDomains: list(spfArg),
		resolver
	});
	if (!response) {
		console.log(`result=none policy=- t=- disposition=- org=- record=- (${reason})`);
		return;
	}
	const result = response.status.result;
	let inForce = '-';
	if (response.p) {
		const author = response.status.header.from.replace(/\.$/, '');
		if (!response.testMode) {
			inForce = response.policy;
		} else if (response.policyDomain === author) {
			inForce = response.p;
		} else {
			// mailauth's own selection (verify.js), undone from t=y by asking which one it was
			inForce = response.sp;
			if (response.np && !(await domainExists(author, resolver)))
				inForce = response.np;
		}
	}
	const disposition = result === 'fail' ? response.policy || '-' : result === 'pass' ? 'none' : '-';
	console.log(`result=${result} policy=${inForce} t=${response.p ? (response.testMode ? 'y' : 'n') : '-'} ` +
		`disposition=${disposition} org=${response.domain || '-'} record=${response.policyDomain || '-'}` +
		(response.error ? ` (${response.error})` : ''));
};

main().catch(err => {
	process.stderr.write(`mailauth-dmarc: ${err.stack || err}\n`);
	process.exit(1);
});
