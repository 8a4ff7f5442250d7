#include "conv.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace sslr {

using dnnl::memory;
using dt = dnnl::memory::data_type;

// Built primitives kept at most; one per distinct layer shape and direction, so a model needs a few dozen.
constexpr size_t kMaxPlans = 256;

// One operand as the caller stores it and as the primitive wants it; when the two differ, a
// reorder between the caller's memory and a buffer allocated once with the plan (a fresh
// allocation per call would page-fault through megabytes: a 3×3×512×512 filter is 9 MB).
struct Operand {
  memory::desc user, internal;
  bool reordered = false;
  dnnl::reorder reorder;  // user → internal for inputs, internal → user for outputs
  memory buffer;

  void settle(const dnnl::engine& engine, const memory::desc& wanted, bool isOutput) {
    internal = wanted;
    reordered = internal != user;
    if (!reordered) return;
    buffer = memory(internal, engine);
    reorder = isOutput ? dnnl::reorder(dnnl::reorder::primitive_desc(engine, internal, engine, user))
                       : dnnl::reorder(dnnl::reorder::primitive_desc(engine, user, engine, internal));
  }
};

struct ConvPlan {
  // Per direction: forward x → y; backward data dy (y) → dx (x); backward weights x, dy → dW.
  Operand x, y, weights;
  memory::desc bias;
  dnnl::primitive conv;
  bool zeroOutputFirst = false;  // backward data over a cropped dx: rows oneDNN does not write must be 0
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

// Whether the images go to oneDNN in its 16-channel blocked layout (nChw16c, reordered from and
// to the caller's NHWC) rather than read and written in place. Measured on the zoo's and
// ResNet-18's layers (2 cores, AVX-512, one process alternating the two): on NHWC oneDNN 2.6 runs
// its brgconv kernels, which win or tie everywhere except a large-channel layer on a tiny image:
// ResNet-18's 4×4×512→512 at batch 32 ran forward in 15 ms blocked (its jit:avx512_core kernel,
// as PyTorch uses) against 23–40 ms on NHWC, and its input gradient 1.3× faster; at 8×8×256 and
// 4×4×128 blocked lost (×0.6–0.95), and letting oneDNN choose ("any") kept brgconv on NHWC.
// The filter gradient stays on NHWC (blocked ×0.9). SSL_ROBUST_CONV_LAYOUT=blocked|nhwc forces one.
bool blockedActivations(ConvDirection direction, const ConvGeometry& g) {
  static const int forced = [] {
    const char* v = std::getenv("SSL_ROBUST_CONV_LAYOUT");
    return v == nullptr ? -1 : std::string(v) == "blocked" ? 1 : std::string(v) == "nhwc" ? 0 : -1;
  }();
  if (forced >= 0) return forced == 1;
  return direction != ConvDirection::BackwardWeights && g.groups == 1 && g.outH * g.outW <= 16 && g.inC >= 512 && g.outC >= 512 &&
         g.inC % 16 == 0 && g.outC % 16 == 0;
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
  plan->x.user = memory::desc({g.batch, g.inC, rows.used, cols.used}, dt::f32, nhwcStrides(g.inH, g.inW, g.inC));
  plan->y.user = memory::desc({g.batch, g.outC, g.outH, g.outW}, dt::f32, nhwcStrides(g.yAllocH, g.yAllocW, g.outC));
  memory::dims weightDims;
  if (g.groups == 1) {
    // HWIO as OIHW dims: O stride 1, I stride O, H stride W·I·O, W stride I·O.
    weightDims = {g.outC, g.inC, g.filterH, g.filterW};
    const memory::dim io = static_cast<memory::dim>(g.inC) * g.outC;
    plan->weights.user = memory::desc(weightDims, dt::f32, {1, g.outC, g.filterW * io, io});
  } else {
    // Depthwise [H, W, C, M] as GOIHW with G = C, O = M, I = 1.
    const int mult = g.outC / g.groups;
    weightDims = {g.groups, mult, 1, g.filterH, g.filterW};
    const memory::dim cm = static_cast<memory::dim>(g.outC);
    plan->weights.user = memory::desc(weightDims, dt::f32, {mult, 1, 1, g.filterW * cm, cm});
  }
  const auto any = [](const memory::desc& d) { return memory::desc(d.dims(), dt::f32, memory::format_tag::any); };
  const memory::desc anyWeights = any(plan->weights.user);
  // The images stay in the caller's NHWC, read and written in place, except where
  // blockedActivations says otherwise, and a first layer's output: with few input channels
  // oneDNN's fast forward kernels want a blocked output (its choice), reordered into NHWC after.
  const bool blocked = blockedActivations(direction, g);
  const auto nChw16c = [](const memory::desc& d) { return memory::desc(d.dims(), dt::f32, memory::format_tag::aBcd16b); };
  const memory::desc x = blocked ? nChw16c(plan->x.user) : plan->x.user;
  const memory::desc y = blocked ? nChw16c(plan->y.user) : direction == ConvDirection::Forward && g.inC <= 4 ? any(plan->y.user) : plan->y.user;
  if (hasBias) plan->bias = memory::desc({g.outC}, dt::f32, memory::format_tag::a);
  const memory::dims strides = {g.strideH, g.strideW};
  const memory::dims dilations = {g.dilationH - 1, g.dilationW - 1};  // oneDNN counts the gaps
  const memory::dims padBefore = {g.padTop, g.padLeft};
  const memory::dims padAfter = {rows.padAfter, cols.padAfter};
  const auto algo = dnnl::algorithm::convolution_direct;

  if (direction == ConvDirection::Forward) {
    dnnl::primitive_attr attr;
    attr.set_post_ops(activationPostOps(act, alpha));
    auto desc = hasBias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algo, x, anyWeights, plan->bias, y, strides,
                                                          dilations, padBefore, padAfter)
                        : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algo, x, anyWeights, y, strides, dilations,
                                                          padBefore, padAfter);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, engine_);
    plan->x.settle(engine_, pd.src_desc(), false);
    plan->weights.settle(engine_, pd.weights_desc(), false);
    plan->y.settle(engine_, pd.dst_desc(), true);
    plan->conv = dnnl::convolution_forward(pd);
  } else {
    // The backward primitives need the forward one as a hint.
    dnnl::convolution_forward::primitive_desc hint(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, x, anyWeights, y, strides, dilations, padBefore, padAfter),
        engine_);
    if (direction == ConvDirection::BackwardData) {
      dnnl::convolution_backward_data::primitive_desc pd(
          dnnl::convolution_backward_data::desc(algo, x, anyWeights, y, strides, dilations, padBefore, padAfter), engine_, hint);
      plan->y.settle(engine_, pd.diff_dst_desc(), false);
      plan->weights.settle(engine_, pd.weights_desc(), false);
      plan->x.settle(engine_, pd.diff_src_desc(), true);
      plan->conv = dnnl::convolution_backward_data(pd);
      plan->zeroOutputFirst = rows.used < g.inH || cols.used < g.inW;
    } else {
      dnnl::convolution_backward_weights::primitive_desc pd(
          dnnl::convolution_backward_weights::desc(algo, x, anyWeights, y, strides, dilations, padBefore, padAfter), engine_, hint);
      plan->x.settle(engine_, pd.src_desc(), false);
      plan->y.settle(engine_, pd.diff_dst_desc(), false);
      plan->weights.settle(engine_, pd.diff_weights_desc(), true);
      plan->conv = dnnl::convolution_backward_weights(pd);
    }
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
  // Each operand's memory for the primitive: the caller's own, or the plan's buffer with a reorder
  // from the caller's before (inputs) or to it after (outputs).
  std::vector<std::pair<dnnl::reorder, std::unordered_map<int, memory>>> after;
  auto input = [&](Operand& o, const float* data) {
    memory user(o.user, engine_, const_cast<float*>(data));
    if (!o.reordered) return user;
    o.reorder.execute(stream_, user, o.buffer);
    return o.buffer;
  };
  auto output = [&](Operand& o, float* data) {
    memory user(o.user, engine_, data);
    if (!o.reordered) return user;
    after.push_back({o.reorder, {{DNNL_ARG_FROM, o.buffer}, {DNNL_ARG_TO, user}}});
    return o.buffer;
  };

  if (direction == ConvDirection::Forward) {
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, input(p->x, ops.a)}, {DNNL_ARG_WEIGHTS, input(p->weights, ops.b)}, {DNNL_ARG_DST, output(p->y, ops.out)}};
    if (ops.bias != nullptr) args.emplace(DNNL_ARG_BIAS, memory(p->bias, engine_, const_cast<float*>(ops.bias)));
    p->conv.execute(stream_, args);
  } else if (direction == ConvDirection::BackwardData) {
    if (p->zeroOutputFirst) std::memset(ops.out, 0, static_cast<size_t>(g.batch) * g.inH * g.inW * g.inC * sizeof(float));
    p->conv.execute(stream_, {{DNNL_ARG_DIFF_DST, input(p->y, ops.a)}, {DNNL_ARG_WEIGHTS, input(p->weights, ops.b)},
                              {DNNL_ARG_DIFF_SRC, output(p->x, ops.out)}});
  } else {
    p->conv.execute(stream_, {{DNNL_ARG_SRC, input(p->x, ops.a)}, {DNNL_ARG_DIFF_DST, input(p->y, ops.b)},
                              {DNNL_ARG_DIFF_WEIGHTS, output(p->weights, ops.out)}});
  }
  for (auto& [reorder, args] : after) reorder.execute(stream_, args);
  stream_.wait();
  return "";
}

std::string onednnDescription() {
  const dnnl_version_t* v = dnnl_version();
  std::string runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "threads";
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " (" + runtime + ")";
}

}  // namespace sslr
