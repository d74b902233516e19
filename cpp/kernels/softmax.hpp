// Row-wise softmax and log-softmax over the last axis. Each row subtracts its maximum before
// exponentiating, so no exp overflows for any finite logits (+-1e4 included).
#pragma once

#include <cstdint>

namespace gradstep {

// One row: y = softmax(z) (y may alias z).
void softmax_row(std::int64_t cols, const float* z, float* y);
void softmax_rows(std::int64_t rows, std::int64_t cols, const float* z, float* y);
void log_softmax_rows(std::int64_t rows, std::int64_t cols, const float* z, float* y);
// dz = y * (dy - sum(dy * y)) per row (the Jacobian-vector product of softmax). dz may alias dy.
void softmax_rows_backward(std::int64_t rows, std::int64_t cols, const float* y, const float* dy, float* dz);
// log(sum(exp(z))) of one row, max-subtracted.
float logsumexp_row(std::int64_t cols, const float* z);

}  // namespace gradstep
