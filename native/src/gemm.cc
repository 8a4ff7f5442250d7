#include "gemm.h"

#include <cblas.h>

#include <cstring>
#include <string>

namespace sslr {

// Multiply-adds below which a product runs on one thread.
constexpr double kSingleThreadWork = 1 << 21;

void batchedGemm(const float* a, const float* b, float* out, const int32_t* aOffsets, const int32_t* bOffsets,
                 size_t batches, const GemmShape& s) {
  const size_t outSize = static_cast<size_t>(s.m) * s.n;
  if (s.k == 0) {
    // An empty sum; sgemm with k = 0 would leave `out` untouched (uninitialised heap).
    std::memset(out, 0, batches * outSize * sizeof(float));
    return;
  }
  const int lda = s.transposeA ? s.m : s.k;
  const int ldb = s.transposeB ? s.k : s.n;
  // Small products on one thread: waking OpenBLAS's pool costs more than it saves there (a
  // 256×128 · 128×10 classifier head took 35–105 µs on two threads, 17–22 µs on one).
  const double work = static_cast<double>(s.m) * s.n * s.k * static_cast<double>(batches);
  const int threads = openblas_get_num_threads();
  const bool single = threads > 1 && work < kSingleThreadWork;
  if (single) openblas_set_num_threads(1);
  for (size_t i = 0; i < batches; i++) {
    cblas_sgemm(CblasRowMajor, s.transposeA ? CblasTrans : CblasNoTrans, s.transposeB ? CblasTrans : CblasNoTrans,
                s.m, s.n, s.k, 1.0f, a + aOffsets[i], lda, b + bOffsets[i], ldb, 0.0f, out + i * outSize, s.n);
  }
  if (single) openblas_set_num_threads(threads);
}

const char* blasDescription() {
  static const std::string text = [] {
    std::string version = OPENBLAS_VERSION;  // " OpenBLAS 0.3.21 "
    size_t first = version.find_first_not_of(' ');
    size_t last = version.find_last_not_of(' ');
    return first == std::string::npos ? std::string("OpenBLAS") : version.substr(first, last - first + 1);
  }();
  return text.c_str();
}

}  // namespace sslr
