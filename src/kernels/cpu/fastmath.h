/* Branch-free exp that the compiler can vectorize (Cephes' expf polynomial,
 * about 1 ulp over the range that matters). Private to the CPU kernels. */
#ifndef TPLR_KERNELS_CPU_FASTMATH_H
#define TPLR_KERNELS_CPU_FASTMATH_H

#include <stdint.h>
#include <string.h>

static inline float tplr_expf(float x)
{
    x = x > 88.3762626647949f ? 88.3762626647949f : x;
    x = x < -87.3365478515625f ? -87.3365478515625f : x;
    float fx = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    x = x - fx * 0.693359375f;
    x = x - fx * -2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    int32_t e = ((int32_t)fx + 127) << 23;
    float scale;
    memcpy(&scale, &e, sizeof scale);
    return y * scale;
}

#endif
