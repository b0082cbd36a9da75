/* SPDX-License-Identifier: BSD-2-Clause */
/* MD5 against the RFC 1321 test suite (A.5), whole and in pieces. */
#include "dd_test.h"
#include "md5.h"

static const char *const vectors[][2] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	  "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "1234567890123456789012345678901234567890123456789012345678901234567890"
	  "1234567890", "57edf4a22be3c955ac49da2e2107b67a" },
};

static void hex_of(const void *data, size_t size, size_t piece, char hex[33])
{
	const unsigned char *p = data;
	struct dd_md5 md5;
	uint8_t digest[16];

	dd_md5_init(&md5);
	while (size) {
		size_t n = piece < size ? piece : size;

		dd_md5_update(&md5, p, n);
		p += n;
		size -= n;
	}
	dd_md5_final(&md5, digest);
	dd_md5_hex(digest, hex);
}

int main(void)
{
	static unsigned char million[1000000];
	char hex[33];

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *s = vectors[i][0];

		hex_of(s, strlen(s), strlen(s) + 1, hex);
		CHECK_STR(hex, vectors[i][1]);
		/* Odd pieces cross the 64-byte block boundary. */
		hex_of(s, strlen(s), 7, hex);
		CHECK_STR(hex, vectors[i][1]);
		hex_of(s, strlen(s), 1, hex);
		CHECK_STR(hex, vectors[i][1]);
	}
	/* Lengths around the padding boundary (55, 56, 63, 64 bytes of 'a'). */
	hex_of("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55, 55, hex);
	CHECK_STR(hex, "ef1772b6dff9a122358552954ad0df65");
	hex_of("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56, 3, hex);
	CHECK_STR(hex, "3b0c8ac703f828b04c6c197006d17218");
	memset(million, 'a', sizeof(million));
	hex_of(million, sizeof(million), 4096 + 13, hex);
	CHECK_STR(hex, "7707d6ae4e027c70eea2a935c2296f21");
	return dd_test_result("test_md5");
}
