/*
 * gen_deliveries SECRET COUNT PLATFORM [bad] — prints COUNT lines "<signature> <body>"
 * of webhook deliveries with distinct git_sha values, signed with SECRET (or with a
 * wrong key when "bad"), for the wrk script to replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int
main(int argc, char **argv)
{
	char body[512];
	unsigned char mac[32];
	unsigned int n;
	long count;

	if (argc < 4) {
		fprintf(stderr, "usage: gen_deliveries SECRET COUNT PLATFORM [bad]\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	for (long i = 0; i < count; i++) {
		const char *key = argc > 4 ? "pndis_not_the_secret" : argv[1];

		snprintf(body, sizeof(body), "{\"platform_name\":\"%s\",\"oci_ref\":\"registry.local/"
			 "bench/img:%ld\",\"git_sha\":\"%040lx\",\"sha256\":\"%064lx\","
			 "\"size_bytes\":%ld,\"arch\":\"amd64\"}", argv[3], i, i + 1, i + 1, 1024 + i);
		HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)body, strlen(body), mac, &n);
		printf("sha256=");
		for (int j = 0; j < 32; j++)
			printf("%02x", mac[j]);
		printf(" %s\n", body);
	}
	return 0;
}
