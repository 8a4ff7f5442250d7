#include "tile.h"

#include <cstring>
#include <vector>

namespace sslr {

namespace {

struct TilePlan {
  const int32_t* shape;
  const int32_t* reps;
  int rank;
  std::vector<size_t> xInner;    // elements of x below axis d
  std::vector<size_t> outInner;  // elements of out below axis d
};

// Writes the tiled block for axis d: each of x's shape[d] slices (recursively tiled), then the
// whole block repeated reps[d] − 1 more times by copying it. Every output element is written
// once by a block copy, so the cost is one pass over the output.
void fill(const TilePlan& p, int d, const uint32_t* x, uint32_t* out) {
  const size_t n = static_cast<size_t>(p.shape[d]);
  if (d == p.rank - 1) {
    std::memcpy(out, x, n * sizeof(uint32_t));
  } else {
    for (size_t i = 0; i < n; i++) fill(p, d + 1, x + i * p.xInner[d], out + i * p.outInner[d]);
  }
  const size_t block = n * p.outInner[d];
  for (int32_t r = 1; r < p.reps[d]; r++) std::memcpy(out + r * block, out, block * sizeof(uint32_t));
}

}  // namespace

void tile4(const uint32_t* x, uint32_t* out, const int32_t* shape, const int32_t* reps, int rank) {
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  TilePlan p{shape, reps, rank, std::vector<size_t>(rank, 1), std::vector<size_t>(rank, 1)};
  for (int d = rank - 2; d >= 0; d--) {
    p.xInner[d] = p.xInner[d + 1] * static_cast<size_t>(shape[d + 1]);
    p.outInner[d] = p.outInner[d + 1] * static_cast<size_t>(shape[d + 1]) * static_cast<size_t>(reps[d + 1]);
  }
  fill(p, 0, x, out);
}

}  // namespace sslr
