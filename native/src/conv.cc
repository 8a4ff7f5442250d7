#include "conv.h"

#include <cstring>

namespace sslr {

using dnnl::memory;
using dt = dnnl::memory::data_type;

// Built primitives kept at most; one per distinct layer shape and direction, so a model needs a few dozen.
constexpr size_t kMaxPlans = 256;

struct ConvPlan {
  memory::desc x, y, userWeights, bias;
  memory::desc weights;  // the layout oneDNN's primitive wants for the filter (or its gradient)
  memory::desc yInternal;  // forward only: where oneDNN writes y when not straight into the user's NHWC
  bool reorderY = false;
  dnnl::reorder yReorder;
  dnnl::primitive conv;
  bool reorderWeights = false;
  dnnl::reorder weightsReorder;  // user → internal (forward, backward data) or internal → user (backward weights)
  bool zeroOutputFirst = false;    // backward data over a cropped dx: rows oneDNN does not write must be 0
  // Buffers for the reordered filter and the blocked y, allocated once per plan: a fresh
  // allocation per call would page-fault through megabytes (a 3×3×512×512 filter is 9 MB).
  memory weightsBuffer, yBuffer;
};

namespace {

// The rows (or columns) of the input the convolution reads, and the right-hand padding
// that makes oneDNN's output size, floor((in + before + after - span) / stride) + 1, equal
// tfjs's. Trailing rows tfjs never reads (floor rounding) need no crop while fewer than a
// stride of them remain; otherwise the input view is cropped (a strided, slower layout).
struct AxisFit {
  int used;
  int padAfter;
};

AxisFit fitAxis(int in, int out, int filter, int stride, int dilation, int padBefore) {
  const int extent = (filter - 1) * dilation + 1;
  const int span = (out - 1) * stride + extent;  // padded rows the output covers
  const int after = span - padBefore - in;
  if (after >= 0) return {in, after};
  if (-after < stride) return {in, 0};
  return {span - padBefore, 0};
}

memory::dims nhwcStrides(int h, int w, int c) { return {static_cast<memory::dim>(h) * w * c, 1, static_cast<memory::dim>(w) * c, c}; }

std::string keyOf(ConvDirection d, const ConvGeometry& g, bool hasBias, Activation act, float alpha) {
  std::string key(reinterpret_cast<const char*>(&g), sizeof g);
  key.push_back(static_cast<char>(d));
  key.push_back(static_cast<char>(hasBias));
  key.push_back(static_cast<char>(act));
  key.append(reinterpret_cast<const char*>(&alpha), sizeof alpha);
  return key;
}

dnnl::post_ops activationPostOps(Activation act, float alpha) {
  dnnl::post_ops ops;
  switch (act) {
    case Activation::Linear: break;
    case Activation::Relu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case Activation::Relu6: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
    case Activation::LeakyRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
    case Activation::Sigmoid: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
    case Activation::Elu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
  }
  return ops;
}

}  // namespace

ConvRunner::ConvRunner() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}
ConvRunner::~ConvRunner() = default;

std::shared_ptr<ConvPlan> ConvRunner::plan(ConvDirection direction, const ConvGeometry& g, bool hasBias, Activation act, float alpha) {
  const std::string key = keyOf(direction, g, hasBias, act, alpha);
  if (auto found = plans_.find(key); found != plans_.end()) return found->second;

  const AxisFit rows = fitAxis(g.inH, g.outH, g.filterH, g.strideH, g.dilationH, g.padTop);
  const AxisFit cols = fitAxis(g.inW, g.outW, g.filterW, g.strideW, g.dilationW, g.padLeft);

  auto plan = std::make_shared<ConvPlan>();
  // NHWC views; a cropped input keeps the full image's strides.
  plan->x = memory::desc({g.batch, g.inC, rows.used, cols.used}, dt::f32, nhwcStrides(g.inH, g.inW, g.inC));
  plan->y = memory::desc({g.batch, g.outC, g.outH, g.outW}, dt::f32, nhwcStrides(g.yAllocH, g.yAllocW, g.outC));
  memory::dims weightDims;
  if (g.groups == 1) {
    // HWIO as OIHW dims: O stride 1, I stride O, H stride W·I·O, W stride I·O.
    weightDims = {g.outC, g.inC, g.filterH, g.filterW};
    const memory::dim io = static_cast<memory::dim>(g.inC) * g.outC;
    plan->userWeights = memory::desc(weightDims, dt::f32, {1, g.outC, g.filterW * io, io});
  } else {
    // Depthwise [H, W, C, M] as GOIHW with G = C, O = M, I = 1.
    const int mult = g.outC / g.groups;
    weightDims = {g.groups, mult, 1, g.filterH, g.filterW};
    const memory::dim cm = static_cast<memory::dim>(g.outC);
    plan->userWeights = memory::desc(weightDims, dt::f32, {mult, 1, 1, g.filterW * cm, cm});
  }
  const memory::desc anyWeights(weightDims, dt::f32, memory::format_tag::any);
  if (hasBias) plan->bias = memory::desc({g.outC}, dt::f32, memory::format_tag::a);
  const memory::dims strides = {g.strideH, g.strideW};
  const memory::dims dilations = {g.dilationH - 1, g.dilationW - 1};  // oneDNN counts the gaps
  const memory::dims padBefore = {g.padTop, g.padLeft};
  const memory::dims padAfter = {rows.padAfter, cols.padAfter};
  const auto algo = dnnl::algorithm::convolution_direct;

  if (direction == ConvDirection::Forward) {
    dnnl::primitive_attr attr;
    attr.set_post_ops(activationPostOps(act, alpha));
    // With few input channels (a first layer) oneDNN's fast kernels want a blocked output:
    // let it choose, and reorder into NHWC after.
    const memory::desc y = g.inC <= 4 ? memory::desc(plan->y.dims(), dt::f32, memory::format_tag::any) : plan->y;
    auto desc = hasBias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algo, plan->x, anyWeights, plan->bias,
                                                          y, strides, dilations, padBefore, padAfter)
                        : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algo, plan->x, anyWeights, y,
                                                          strides, dilations, padBefore, padAfter);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, engine_);
    plan->weights = pd.weights_desc();
    plan->yInternal = pd.dst_desc();
    plan->reorderY = plan->yInternal != plan->y;
    if (plan->reorderY) plan->yReorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine_, plan->yInternal, engine_, plan->y));
    plan->conv = dnnl::convolution_forward(pd);
  } else {
    // The backward primitives need the forward one as a hint.
    dnnl::convolution_forward::primitive_desc hint(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, plan->x, anyWeights, plan->y, strides, dilations,
                                        padBefore, padAfter),
        engine_);
    if (direction == ConvDirection::BackwardData) {
      dnnl::convolution_backward_data::primitive_desc pd(
          dnnl::convolution_backward_data::desc(algo, plan->x, anyWeights, plan->y, strides, dilations, padBefore, padAfter), engine_,
          hint);
      plan->weights = pd.weights_desc();
      plan->conv = dnnl::convolution_backward_data(pd);
      plan->zeroOutputFirst = rows.used < g.inH || cols.used < g.inW;
    } else {
      dnnl::convolution_backward_weights::primitive_desc pd(
          dnnl::convolution_backward_weights::desc(algo, plan->x, anyWeights, plan->y, strides, dilations, padBefore, padAfter),
          engine_, hint);
      plan->weights = pd.diff_weights_desc();
      plan->conv = dnnl::convolution_backward_weights(pd);
    }
  }
  plan->reorderWeights = plan->weights != plan->userWeights;
  if (plan->reorderWeights) plan->weightsBuffer = memory(plan->weights, engine_);
  if (plan->reorderY) plan->yBuffer = memory(plan->yInternal, engine_);
  if (plan->reorderWeights) {
    plan->weightsReorder = direction == ConvDirection::BackwardWeights
                               ? dnnl::reorder(dnnl::reorder::primitive_desc(engine_, plan->weights, engine_, plan->userWeights))
                               : dnnl::reorder(dnnl::reorder::primitive_desc(engine_, plan->userWeights, engine_, plan->weights));
  }
  if (plans_.size() >= kMaxPlans) plans_.clear();
  plans_.emplace(key, plan);
  return plan;
}

// Every output pixel lies wholly in the padding: nothing is summed, so y = act(bias) and both
// gradients are zero. (oneDNN cannot describe an input view of no pixels.)
static void runWithoutInput(ConvDirection direction, const ConvGeometry& g, const ConvOperands& ops) {
  if (direction == ConvDirection::Forward) {
    for (int b = 0; b < g.batch; b++) {
      for (int h = 0; h < g.outH; h++) {
        float* row = ops.out + ((static_cast<size_t>(b) * g.yAllocH + h) * g.yAllocW) * g.outC;
        std::memset(row, 0, static_cast<size_t>(g.outW) * g.outC * sizeof(float));
        applyEpilogue(row, g.outW, g.outC, ops.bias, ops.bias ? g.outC : 0, ops.activation, ops.alpha);
      }
    }
  } else if (direction == ConvDirection::BackwardData) {
    std::memset(ops.out, 0, static_cast<size_t>(g.batch) * g.inH * g.inW * g.inC * sizeof(float));
  } else {
    std::memset(ops.out, 0, static_cast<size_t>(g.filterH) * g.filterW * (g.inC / g.groups) * g.outC * sizeof(float));
  }
}

std::string ConvRunner::run(ConvDirection direction, const ConvGeometry& g, const ConvOperands& ops) {
  if (fitAxis(g.inH, g.outH, g.filterH, g.strideH, g.dilationH, g.padTop).used <= 0 ||
      fitAxis(g.inW, g.outW, g.filterW, g.strideW, g.dilationW, g.padLeft).used <= 0) {
    runWithoutInput(direction, g, ops);
    return "";
  }
  std::shared_ptr<ConvPlan> p;
  try {
    p = plan(direction, g, ops.bias != nullptr, ops.activation, ops.alpha);
  } catch (const dnnl::error& e) {
    return std::string("oneDNN has no implementation for this convolution: ") + e.what();
  } catch (const std::exception& e) {
    return e.what();
  }
  auto wrap = [&](const memory::desc& d, const float* data) { return memory(d, engine_, const_cast<float*>(data)); };
  memory userWeights = wrap(p->userWeights, direction == ConvDirection::BackwardWeights ? ops.out : ops.b);
  memory weights = p->reorderWeights ? p->weightsBuffer : userWeights;

  if (direction == ConvDirection::Forward) {
    if (p->reorderWeights) p->weightsReorder.execute(stream_, userWeights, weights);
    memory userY = wrap(p->y, ops.out);
    memory y = p->reorderY ? p->yBuffer : userY;
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, wrap(p->x, ops.a)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, y}};
    if (ops.bias != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(p->bias, ops.bias));
    p->conv.execute(stream_, args);
    if (p->reorderY) p->yReorder.execute(stream_, y, userY);
  } else if (direction == ConvDirection::BackwardData) {
    if (p->zeroOutputFirst) std::memset(ops.out, 0, static_cast<size_t>(g.batch) * g.inH * g.inW * g.inC * sizeof(float));
    if (p->reorderWeights) p->weightsReorder.execute(stream_, userWeights, weights);
    p->conv.execute(stream_, {{DNNL_ARG_DIFF_DST, wrap(p->y, ops.a)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, wrap(p->x, ops.out)}});
  } else {
    p->conv.execute(stream_, {{DNNL_ARG_SRC, wrap(p->x, ops.a)}, {DNNL_ARG_DIFF_DST, wrap(p->y, ops.b)}, {DNNL_ARG_DIFF_WEIGHTS, weights}});
    if (p->reorderWeights) p->weightsReorder.execute(stream_, weights, userWeights);
  }
  stream_.wait();
  return "";
}

std::string onednnDescription() {
  const dnnl_version_t* v = dnnl_version();
  std::string runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "threads";
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " (" + runtime + ")";
}

}  // namespace sslr
