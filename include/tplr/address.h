/* Printable addresses of public keys (docs/formats.md, "Addresses"):
 * base58(version byte 42 ‖ 32-byte Ed25519 public key ‖ 4-byte checksum),
 * the checksum being the first 4 bytes of BLAKE2b-256("tplr-address" ‖
 * version ‖ key): always 51 characters, beginning with "2". A mistyped
 * character is caught by the checksum. */
#ifndef TPLR_ADDRESS_H
#define TPLR_ADDRESS_H

#include <stddef.h>

#include "tplr/err.h"

#define TPLR_ADDRESS_VERSION 42
/* Room for an address and its NUL. */
#define TPLR_ADDRESS_MAX 56

void tplr_address_encode(const unsigned char pk[32], char out[TPLR_ADDRESS_MAX]);
/* Parses an address (len characters of s, no NUL needed) into pk; says what
 * is wrong (character, length, version, checksum) when it is not one. */
tplr_err tplr_address_decode(const char *s, size_t len, unsigned char pk[32]);

#endif
