/*
 * policy/b64.h - the value of one base64 digit (RFC 4648 section 4), for each decoder of base64
 * in the tree: DKIM tags and key records, MIME bodies of list posts, OpenPGP armor.
 * Contract: pw_b64_value(C) is 0 to 63 for a digit of the base64 alphabet and -1 for any other
 * value of C, the pad '=' among them (each decoder handles padding itself).  Header only: no
 * state, no library to link.
 */
#ifndef POSTWARD_POLICY_B64_H
#define POSTWARD_POLICY_B64_H

/* pw_b64_value - the value of the base64 digit C, -1 if C is not one */
static inline int pw_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

#endif
