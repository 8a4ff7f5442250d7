// Bias and activation applied after a matrix product, in place, for _FusedMatMul.
// (Convolutions fuse theirs into oneDNN as post-ops instead; see conv.cc.)
#pragma once
#include <cstddef>

namespace sslr {

// The activations tfjs's fused kernels name, in the order the JS side encodes them.
enum class Activation : int { Linear = 0, Relu = 1, Relu6 = 2, LeakyRelu = 3, Sigmoid = 4, Elu = 5 };

bool isKnownActivation(int code);

// out[r, c] = act(out[r, c] + bias[c or 0]) over `rows` rows of `cols` columns.
// biasLength is 0 (no bias), 1 (a scalar) or cols (one per column).
void applyEpilogue(float* out, size_t rows, size_t cols, const float* bias, size_t biasLength, Activation act, float alpha);

}  // namespace sslr
