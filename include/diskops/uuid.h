#ifndef DISKOPS_UUID_H
#define DISKOPS_UUID_H

#include <stdbool.h>

#define DK_UUID_LEN 36

/* A random (version 4) UUID, lower-case, into out (37 bytes). */
void dk_uuid_v4(char out[DK_UUID_LEN + 1]);
bool dk_uuid_valid(const char *s);

#endif
