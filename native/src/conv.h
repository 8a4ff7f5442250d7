// Convolutions (forward, gradient of the input, gradient of the filter; plain and depthwise)
// on oneDNN, reading and writing tfjs's layouts in place: NHWC images and HWIO filters
// ([filterH, filterW, inC, outC]; depthwise [filterH, filterW, inC, multiplier]).
#pragma once
#include <dnnl.hpp>

#include <memory>
#include <string>
#include <unordered_map>

#include "epilogue.h"

namespace sslr {

enum class ConvDirection : int { Forward = 0, BackwardData = 1, BackwardWeights = 2 };

// One convolution's geometry as tfjs's computeConv2DInfo states it. Dilations are tfjs's
// (1 = dense). `groups` is 1, or inC for depthwise. The output y / dy is stored with
// yAllocH × yAllocW pixels per image (≥ outH × outW; tfjs's Conv2DBackpropInput may hand a larger dy).
struct ConvGeometry {
  int batch, inH, inW, inC, outH, outW, outC;
  int filterH, filterW, strideH, strideW, dilationH, dilationW, padTop, padLeft, groups;
  int yAllocH, yAllocW;
};
constexpr int kConvGeometryFields = 18;

// The operands of one call, all on the caller's memory. Forward: a = x, b = filter, out = y.
// BackwardData: a = dy, b = filter, out = dx. BackwardWeights: a = x, b = dy, out = dFilter.
struct ConvOperands {
  const float* a;
  const float* b;
  float* out;
  const float* bias;  // forward only; nullptr for none; outC values
  Activation activation;
  float alpha;  // leaky relu's slope
};

struct ConvPlan;

// Keeps oneDNN's engine and stream and the primitives built so far, by geometry.
class ConvRunner {
 public:
  ConvRunner();
  ~ConvRunner();
  // Runs the convolution; returns "" on success, or why oneDNN cannot run this geometry
  // (the caller then falls back to its own kernel).
  std::string run(ConvDirection direction, const ConvGeometry& g, const ConvOperands& ops);

 private:
  std::shared_ptr<ConvPlan> plan(ConvDirection direction, const ConvGeometry& g, bool hasBias, Activation act, float alpha);
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::unordered_map<std::string, std::shared_ptr<ConvPlan>> plans_;
};

// "oneDNN 2.6.3 (OpenMP)".
std::string onednnDescription();

}  // namespace sslr
