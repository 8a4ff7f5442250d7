// Tile (np.tile) of a row-major tensor of 4-byte elements, by block copies.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sslr {

// out has shape[d] · reps[d] along each axis d; x has shape. Elements are 4 bytes (float32 or int32).
void tile4(const uint32_t* x, uint32_t* out, const int32_t* shape, const int32_t* reps, int rank);

}  // namespace sslr
