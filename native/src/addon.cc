// The Node-API surface of the native kernels. Every call is synchronous and works in place
// on the Float32Arrays it is given (views of the tfjs wasm heap), after checking that each
// array holds at least what the stated geometry will read or write.
#include <node_api.h>
#include <omp.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "batch-norm.h"
#include "conv.h"
#include "epilogue.h"
#include "gemm.h"
#include "tile.h"

namespace {

using sslr::Activation;

struct Instance {
  sslr::ConvRunner conv;
};

// Throws a JS TypeError and returns nullptr: every entry point returns what this returns.
napi_value fail(napi_env env, const std::string& message) {
  napi_throw_type_error(env, nullptr, message.c_str());
  return nullptr;
}

template <typename T>
struct View {
  T* data = nullptr;
  size_t length = 0;
};

bool typedArray(napi_env env, napi_value value, napi_typedarray_type want, void** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return false;
  return type == want;
}

bool floats(napi_env env, napi_value value, View<float>* out) {
  void* data;
  if (!typedArray(env, value, napi_float32_array, &data, &out->length)) return false;
  out->data = static_cast<float*>(data);
  return true;
}

bool ints(napi_env env, napi_value value, View<int32_t>* out) {
  void* data;
  if (!typedArray(env, value, napi_int32_array, &data, &out->length)) return false;
  out->data = static_cast<int32_t*>(data);
  return true;
}

bool isNullish(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

bool int32Arg(napi_env env, napi_value value, int32_t* out) { return napi_get_value_int32(env, value, out) == napi_ok; }

bool doubleArg(napi_env env, napi_value value, double* out) { return napi_get_value_double(env, value, out) == napi_ok; }

napi_value string(napi_env env, const std::string& text) {
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

napi_value undefinedValue(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

Instance* instanceOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<Instance*>(data);
}

size_t product(std::initializer_list<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return static_cast<size_t>(n);
}

// info() → { library, threads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, library, threads;
  napi_create_object(env, &out);
  library = string(env, sslr::onednnDescription() + " + " + sslr::blasDescription());
  napi_create_int32(env, omp_get_max_threads(), &threads);
  napi_set_named_property(env, out, "library", library);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}

// retainFreedMemory(mmapThresholdBytes, trimThresholdBytes) → whether glibc took both settings.
// glibc serves blocks over its mmap threshold with fresh mappings and hands the top of its heap
// back to the kernel once more than the trim threshold is free there; every page of such memory
// faults again when it is next written, which on virtual machines costs 10 µs and more a page.
// Raising both lets freed image buffers be reused as they are. Outside glibc: false, no change.
napi_value RetainFreedMemory(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double mmapThreshold, trimThreshold;
  if (argc != 2 || !doubleArg(env, argv[0], &mmapThreshold) || !doubleArg(env, argv[1], &trimThreshold) || mmapThreshold < 0 ||
      trimThreshold < 0 || mmapThreshold > 2147483647.0 || trimThreshold > 2147483647.0) {
    return fail(env, "retainFreedMemory: expected two byte counts from 0 to 2^31 - 1");
  }
  bool applied = false;
#if defined(__GLIBC__)
  applied = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmapThreshold)) == 1 && mallopt(M_TRIM_THRESHOLD, static_cast<int>(trimThreshold)) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, applied, &result);
  return result;
}

// conv(direction, geometry: Int32Array(18), a, b, out, bias | null, activation, alpha)
//   → undefined when done, or a string saying why this geometry is not supported.
napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 8) return fail(env, "conv: expected 8 arguments");
  int32_t direction, activation;
  double alpha;
  View<int32_t> geometry;
  View<float> a, b, out, bias;
  if (!int32Arg(env, argv[0], &direction) || direction < 0 || direction > 2) return fail(env, "conv: bad direction");
  if (!ints(env, argv[1], &geometry) || geometry.length != sslr::kConvGeometryFields) return fail(env, "conv: bad geometry");
  if (!floats(env, argv[2], &a) || !floats(env, argv[3], &b) || !floats(env, argv[4], &out)) return fail(env, "conv: operands must be Float32Arrays");
  const bool hasBias = !isNullish(env, argv[5]);
  if (hasBias && !floats(env, argv[5], &bias)) return fail(env, "conv: bias must be a Float32Array or null");
  if (!int32Arg(env, argv[6], &activation) || !sslr::isKnownActivation(activation)) return fail(env, "conv: bad activation");
  if (!doubleArg(env, argv[7], &alpha)) return fail(env, "conv: bad alpha");

  sslr::ConvGeometry g;
  static_assert(sizeof g == sizeof(int32_t) * sslr::kConvGeometryFields, "ConvGeometry is a flat int array");
  std::memcpy(&g, geometry.data, sizeof g);
  const int32_t* fields = geometry.data;
  for (int i = 0; i < sslr::kConvGeometryFields; i++) {
    const bool mayBeZero = i == 13 || i == 14;  // padding
    if (fields[i] < (mayBeZero ? 0 : 1)) return fail(env, "conv: geometry fields must be positive");
  }
  if (g.yAllocH < g.outH || g.yAllocW < g.outW) return fail(env, "conv: y is smaller than the output");
  if (g.groups != 1 && (g.groups != g.inC || g.outC % g.groups != 0)) return fail(env, "conv: groups must be 1 or inC (depthwise)");
  const auto dir = static_cast<sslr::ConvDirection>(direction);
  const size_t xSize = product({g.batch, g.inH, g.inW, g.inC});
  const size_t ySize = product({g.batch, g.yAllocH, g.yAllocW, g.outC});
  const size_t wSize = product({g.filterH, g.filterW, g.inC / g.groups, g.outC});
  const size_t need[3][3] = {{xSize, wSize, ySize}, {ySize, wSize, xSize}, {xSize, ySize, wSize}};
  if (a.length < need[direction][0] || b.length < need[direction][1] || out.length < need[direction][2]) {
    return fail(env, "conv: an operand is smaller than the geometry needs");
  }
  if (hasBias && (dir != sslr::ConvDirection::Forward || bias.length != static_cast<size_t>(g.outC))) {
    return fail(env, "conv: bias needs outC values, forward only");
  }

  sslr::ConvOperands ops{a.data, b.data, out.data, hasBias ? bias.data : nullptr, static_cast<Activation>(activation), static_cast<float>(alpha)};
  const std::string unsupported = instanceOf(env)->conv.run(dir, g, ops);
  return unsupported.empty() ? undefinedValue(env) : string(env, unsupported);
}

// gemm(a, b, out, aOffsets: Int32Array, bOffsets: Int32Array, m, n, k, transposeA, transposeB, bias | null, activation, alpha)
napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 13) return fail(env, "gemm: expected 13 arguments");
  View<float> a, b, out, bias;
  View<int32_t> aOffsets, bOffsets;
  int32_t m, n, k, activation;
  bool transposeA, transposeB;
  double alpha;
  if (!floats(env, argv[0], &a) || !floats(env, argv[1], &b) || !floats(env, argv[2], &out)) return fail(env, "gemm: operands must be Float32Arrays");
  if (!ints(env, argv[3], &aOffsets) || !ints(env, argv[4], &bOffsets) || aOffsets.length != bOffsets.length) {
    return fail(env, "gemm: offsets must be Int32Arrays of equal length");
  }
  if (!int32Arg(env, argv[5], &m) || !int32Arg(env, argv[6], &n) || !int32Arg(env, argv[7], &k) || m < 1 || n < 1 || k < 0) {
    return fail(env, "gemm: bad m, n or k");
  }
  if (napi_get_value_bool(env, argv[8], &transposeA) != napi_ok || napi_get_value_bool(env, argv[9], &transposeB) != napi_ok) {
    return fail(env, "gemm: transpose flags must be booleans");
  }
  const bool hasBias = !isNullish(env, argv[10]);
  if (hasBias && !floats(env, argv[10], &bias)) return fail(env, "gemm: bias must be a Float32Array or null");
  if (!int32Arg(env, argv[11], &activation) || !sslr::isKnownActivation(activation)) return fail(env, "gemm: bad activation");
  if (!doubleArg(env, argv[12], &alpha)) return fail(env, "gemm: bad alpha");
  const size_t batches = aOffsets.length;
  const size_t aSize = product({m, k}), bSize = product({k, n}), outSize = product({m, n});
  for (size_t i = 0; i < batches; i++) {
    if (aOffsets.data[i] < 0 || bOffsets.data[i] < 0 || aOffsets.data[i] + aSize > a.length || bOffsets.data[i] + bSize > b.length) {
      return fail(env, "gemm: an offset reads past its operand");
    }
  }
  if (out.length < batches * outSize) return fail(env, "gemm: out is too small");
  if (hasBias && bias.length != 1 && bias.length != static_cast<size_t>(n)) return fail(env, "gemm: bias needs 1 or n values");

  sslr::batchedGemm(a.data, b.data, out.data, aOffsets.data, bOffsets.data, batches, {m, n, k, transposeA, transposeB});
  sslr::applyEpilogue(out.data, batches * m, n, hasBias ? bias.data : nullptr, hasBias ? bias.length : 0, static_cast<Activation>(activation),
                      static_cast<float>(alpha));
  return undefinedValue(env);
}

// tile(x, shape: Int32Array, reps: Int32Array, out): x and out Float32Arrays or Int32Arrays.
napi_value Tile(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "tile: expected 4 arguments");
  View<int32_t> shape, reps;
  if (!ints(env, argv[1], &shape) || !ints(env, argv[2], &reps) || shape.length != reps.length || shape.length > 8) {
    return fail(env, "tile: shape and reps must be Int32Arrays of one rank (at most 8)");
  }
  void* x;
  void* out;
  size_t xLength, outLength;
  const bool floatsGiven = typedArray(env, argv[0], napi_float32_array, &x, &xLength) && typedArray(env, argv[3], napi_float32_array, &out, &outLength);
  if (!floatsGiven && !(typedArray(env, argv[0], napi_int32_array, &x, &xLength) && typedArray(env, argv[3], napi_int32_array, &out, &outLength))) {
    return fail(env, "tile: x and out must both be Float32Arrays or both Int32Arrays");
  }
  size_t xSize = 1, outSize = 1;
  for (size_t d = 0; d < shape.length; d++) {
    if (shape.data[d] < 0 || reps.data[d] < 0) return fail(env, "tile: negative size");
    xSize *= static_cast<size_t>(shape.data[d]);
    outSize *= static_cast<size_t>(shape.data[d]) * static_cast<size_t>(reps.data[d]);
  }
  if (xLength < xSize || outLength < outSize) return fail(env, "tile: an operand is smaller than its shape");
  if (outSize > 0) sslr::tile4(static_cast<const uint32_t*>(x), static_cast<uint32_t*>(out), shape.data, reps.data, static_cast<int>(shape.length));
  return undefinedValue(env);
}

// batchNormTraining(x, rows, channels, gamma, beta, epsilon, y, mean, variance, invStd)
napi_value BatchNormTraining(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 10) return fail(env, "batchNormTraining: expected 10 arguments");
  View<float> x, gamma, beta, y, mean, variance, invStd;
  int32_t rows, channels;
  double epsilon;
  if (!floats(env, argv[0], &x) || !floats(env, argv[3], &gamma) || !floats(env, argv[4], &beta) || !floats(env, argv[6], &y) ||
      !floats(env, argv[7], &mean) || !floats(env, argv[8], &variance) || !floats(env, argv[9], &invStd)) {
    return fail(env, "batchNormTraining: operands must be Float32Arrays");
  }
  if (!int32Arg(env, argv[1], &rows) || !int32Arg(env, argv[2], &channels) || rows < 1 || channels < 1) return fail(env, "batchNormTraining: bad rows or channels");
  if (!doubleArg(env, argv[5], &epsilon) || !(epsilon >= 0)) return fail(env, "batchNormTraining: bad epsilon");
  const size_t size = product({rows, channels}), c = static_cast<size_t>(channels);
  if (x.length < size || y.length < size || gamma.length < c || beta.length < c || mean.length < c || variance.length < c || invStd.length < c) {
    return fail(env, "batchNormTraining: an operand is smaller than rows × channels needs");
  }
  sslr::batchNormTrainingForward(x.data, rows, c, gamma.data, beta.data, static_cast<float>(epsilon), y.data, mean.data, variance.data, invStd.data);
  return undefinedValue(env);
}

// batchNormTrainingGrad(dy, x, mean, invStd, gamma, rows, channels, dx, dGamma, dBeta)
napi_value BatchNormTrainingGrad(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 10) return fail(env, "batchNormTrainingGrad: expected 10 arguments");
  View<float> dy, x, mean, invStd, gamma, dx, dGamma, dBeta;
  int32_t rows, channels;
  if (!floats(env, argv[0], &dy) || !floats(env, argv[1], &x) || !floats(env, argv[2], &mean) || !floats(env, argv[3], &invStd) ||
      !floats(env, argv[4], &gamma) || !floats(env, argv[7], &dx) || !floats(env, argv[8], &dGamma) || !floats(env, argv[9], &dBeta)) {
    return fail(env, "batchNormTrainingGrad: operands must be Float32Arrays");
  }
  if (!int32Arg(env, argv[5], &rows) || !int32Arg(env, argv[6], &channels) || rows < 1 || channels < 1) return fail(env, "batchNormTrainingGrad: bad rows or channels");
  const size_t size = product({rows, channels}), c = static_cast<size_t>(channels);
  if (dy.length < size || x.length < size || dx.length < size || mean.length < c || invStd.length < c || gamma.length < c || dGamma.length < c || dBeta.length < c) {
    return fail(env, "batchNormTrainingGrad: an operand is smaller than rows × channels needs");
  }
  sslr::batchNormTrainingBackward(dy.data, x.data, mean.data, invStd.data, gamma.data, rows, c, dx.data, dGamma.data, dBeta.data);
  return undefinedValue(env);
}

napi_value Init(napi_env env, napi_value exports) {
  Instance* instance;
  try {
    instance = new Instance();
  } catch (const std::exception& e) {
    fail(env, std::string("native kernels: oneDNN failed to start: ") + e.what());
    return nullptr;
  }
  napi_set_instance_data(
      env, instance, [](napi_env, void* data, void*) { delete static_cast<Instance*>(data); }, nullptr);
  napi_property_descriptor methods[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tile", nullptr, Tile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTraining", nullptr, BatchNormTraining, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainingGrad", nullptr, BatchNormTrainingGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"retainFreedMemory", nullptr, RetainFreedMemory, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
