// Training-mode batch normalisation over the rows of a row-major [rows, channels] array (an NHWC
// activation with every axis but the last flattened into rows), forward and backward, on every core.
#pragma once
#include <cstddef>

namespace sslr {

// mean and variance (biased) per channel from this batch; y = (x − mean) / sqrt(variance + ε) · gamma + beta;
// invStd = 1 / sqrt(variance + ε), kept for the backward pass.
void batchNormTrainingForward(const float* x, size_t rows, size_t channels, const float* gamma, const float* beta,
                              float epsilon, float* y, float* mean, float* variance, float* invStd);

// Gradients of the forward pass above given dy: dx, dGamma = Σ dy · x̂, dBeta = Σ dy (x̂ = (x − mean) · invStd).
void batchNormTrainingBackward(const float* dy, const float* x, const float* mean, const float* invStd, const float* gamma,
                               size_t rows, size_t channels, float* dx, float* dGamma, float* dBeta);

}  // namespace sslr
