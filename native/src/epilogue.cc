#include "epilogue.h"

#include <algorithm>
#include <cmath>

namespace sslr {

bool isKnownActivation(int code) { return code >= 0 && code <= 5; }

static inline float activate(float v, Activation act, float alpha) {
  switch (act) {
    case Activation::Linear: return v;
    case Activation::Relu: return v > 0.f ? v : 0.f;
    case Activation::Relu6: return std::min(std::max(v, 0.f), 6.f);
    case Activation::LeakyRelu: return v < 0.f ? alpha * v : v;
    case Activation::Sigmoid: return 1.f / (1.f + std::exp(-v));
    case Activation::Elu: return v > 0.f ? v : std::expm1(v);
  }
  return v;
}

void applyEpilogue(float* out, size_t rows, size_t cols, const float* bias, size_t biasLength, Activation act, float alpha) {
  if (biasLength == 0 && act == Activation::Linear) return;
  for (size_t r = 0; r < rows; r++) {
    float* row = out + r * cols;
    for (size_t c = 0; c < cols; c++) {
      float v = row[c];
      if (biasLength == 1) v += bias[0];
      else if (biasLength != 0) v += bias[c];
      row[c] = activate(v, act, alpha);
    }
  }
}

}  // namespace sslr
