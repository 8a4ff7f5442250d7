#include "batch-norm.h"

#include <omp.h>

#include <cmath>
#include <vector>

namespace sslr {

namespace {

// Per-channel sums of f(row, channel) over all rows, in double: each thread sums its own block of
// rows into its own accumulators, which are added up at the end (no atomics, a fixed order).
template <typename Term>
void channelSums(size_t rows, size_t channels, double* out, int terms, Term term) {
  const int threads = omp_get_max_threads();
  std::vector<double> partial(static_cast<size_t>(threads) * terms * channels, 0.0);
#pragma omp parallel num_threads(threads)
  {
    double* mine = partial.data() + static_cast<size_t>(omp_get_thread_num()) * terms * channels;
#pragma omp for schedule(static)
    for (long r = 0; r < static_cast<long>(rows); r++) term(static_cast<size_t>(r), mine);
  }
  for (size_t i = 0; i < static_cast<size_t>(terms) * channels; i++) {
    double sum = 0;
    for (int t = 0; t < threads; t++) sum += partial[static_cast<size_t>(t) * terms * channels + i];
    out[i] = sum;
  }
}

// out[r, c] = a[r, c] · aScale[c] + (b[r, c] − center[c]) · bScale[c] + shift[c] (no a term where a is null),
// on every core. Centring before scaling keeps a large mean from cancelling digits away.
void affineRows(const float* a, const float* aScale, const float* b, const float* center, const float* bScale,
                const float* shift, size_t rows, size_t channels, float* out) {
#pragma omp parallel for schedule(static)
  for (long r = 0; r < static_cast<long>(rows); r++) {
    const size_t at = static_cast<size_t>(r) * channels;
    if (a == nullptr) {
      for (size_t c = 0; c < channels; c++) out[at + c] = (b[at + c] - center[c]) * bScale[c] + shift[c];
    } else {
      for (size_t c = 0; c < channels; c++) out[at + c] = a[at + c] * aScale[c] + (b[at + c] - center[c]) * bScale[c] + shift[c];
    }
  }
}

}  // namespace

void batchNormTrainingForward(const float* x, size_t rows, size_t channels, const float* gamma, const float* beta,
                              float epsilon, float* y, float* mean, float* variance, float* invStd) {
  std::vector<double> sums(channels);
  channelSums(rows, channels, sums.data(), 1, [&](size_t r, double* acc) {
    const float* row = x + r * channels;
    for (size_t c = 0; c < channels; c++) acc[c] += row[c];
  });
  std::vector<float> mu(channels);
  for (size_t c = 0; c < channels; c++) mu[c] = static_cast<float>(sums[c] / static_cast<double>(rows));
  // The variance from squared deviations (a second pass) rather than E[x²] − E[x]²: no cancellation.
  channelSums(rows, channels, sums.data(), 1, [&](size_t r, double* acc) {
    const float* row = x + r * channels;
    for (size_t c = 0; c < channels; c++) {
      const double d = static_cast<double>(row[c]) - mu[c];
      acc[c] += d * d;
    }
  });
  std::vector<float> scale(channels);
  for (size_t c = 0; c < channels; c++) {
    const double var = sums[c] / static_cast<double>(rows);
    const double inv = 1.0 / std::sqrt(var + epsilon);
    mean[c] = mu[c];
    variance[c] = static_cast<float>(var);
    invStd[c] = static_cast<float>(inv);
    scale[c] = static_cast<float>(inv * gamma[c]);
  }
  affineRows(nullptr, nullptr, x, mu.data(), scale.data(), beta, rows, channels, y);
}

void batchNormTrainingBackward(const float* dy, const float* x, const float* mean, const float* invStd, const float* gamma,
                               size_t rows, size_t channels, float* dx, float* dGamma, float* dBeta) {
  // sums[c] = Σ dy, sums[channels + c] = Σ dy · (x − mean).
  std::vector<double> sums(2 * channels);
  channelSums(rows, channels, sums.data(), 2, [&](size_t r, double* acc) {
    const float* g = dy + r * channels;
    const float* row = x + r * channels;
    for (size_t c = 0; c < channels; c++) {
      acc[c] += g[c];
      acc[channels + c] += static_cast<double>(g[c]) * (static_cast<double>(row[c]) - mean[c]);
    }
  });
  // dx = γσ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)), written as dx = k·dy + b·(x − mean) + s per channel.
  const double m = static_cast<double>(rows);
  std::vector<float> k(channels), b(channels), s(channels);
  for (size_t c = 0; c < channels; c++) {
    const double inv = invStd[c];
    const double kc = gamma[c] * inv;
    const double bc = -kc * inv * inv * sums[channels + c] / m;
    k[c] = static_cast<float>(kc);
    b[c] = static_cast<float>(bc);
    s[c] = static_cast<float>(-kc * sums[c] / m);
    dBeta[c] = static_cast<float>(sums[c]);
    dGamma[c] = static_cast<float>(sums[channels + c] * inv);
  }
  affineRows(dy, k.data(), x, mean, b.data(), s.data(), rows, channels, dx);
}

}  // namespace sslr
