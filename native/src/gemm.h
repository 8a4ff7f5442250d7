// Batched matrix products on OpenBLAS's sgemm (multithreaded by OpenBLAS itself).
#pragma once
#include <cstddef>
#include <cstdint>

namespace sslr {

struct GemmShape {
  int m, n, k;
  bool transposeA, transposeB;
};

// For each batch i: out[i] (m×n, row-major) = op(a + aOffsets[i]) · op(b + bOffsets[i]),
// where op transposes when asked; a's stored matrix is m×k (k×m when transposed), b's k×n (n×k).
void batchedGemm(const float* a, const float* b, float* out, const int32_t* aOffsets, const int32_t* bOffsets,
                 size_t batches, const GemmShape& shape);

// "OpenBLAS 0.3.21" and its build configuration.
const char* blasDescription();

}  // namespace sslr
