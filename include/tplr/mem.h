/* Allocation: 64-byte aligned, zero-filled blocks, with a failure message that
 * names what the memory was for. */
#ifndef TPLR_MEM_H
#define TPLR_MEM_H

#include <stddef.h>

#include "tplr/err.h"

/* Allocates n bytes (n may be 0) aligned to 64 and zeroed into *out. */
tplr_err tplr_alloc(void **out, size_t n, const char *what);
void tplr_free(void *p);

/* *out = a * b; returns nonzero (and leaves *out unspecified) on overflow. */
int tplr_mul_overflows(size_t a, size_t b, size_t *out);

#endif
