// Batch normalisation over x [B, C, S] per channel c (B = T*N, S = H*W, or S = 1 for [C]).
// Statistics are computed in double over the n = B*S values of a channel.
//
//   training: mu = mean(x_c), var = mean((x_c - mu)^2)  (biased, used to normalise)
//             x_hat = (x - mu) / sqrt(var + eps),  y = gamma * x_hat + beta
//   eval:     y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta
//   backward (training statistics, exact, Ioffe & Szegedy 2015):
//             grad_beta  += sum grad_y,  grad_gamma += sum grad_y * x_hat
//             grad_x = gamma * inv_std / n * (n * grad_y - sum grad_y - x_hat * sum grad_y x_hat)
//   backward (eval statistics, a fixed affine map): grad_x = gamma * inv_std_running * grad_y
// gamma/beta may be null (affine: false): gamma = 1, beta = 0.
// Channel sums are in double in 32 fixed lanes (four AVX-512 add chains), over chunks of whole
// images of a fixed size (a function of the shape), added in chunk order: thread-count
// invariant, and every work item streams one contiguous block. Training statistics (planes of
// S >= 32) take one read pass: sums of d = x - x_c0 and d^2 with x_c0 the channel's first value,
// mean = x_c0 + E[d], var = E[d^2] - E[d]^2 (the shift keeps the cancellation at the scale of
// the spread). Smaller planes use two passes over channels in image order. The normalising and
// grad_x passes run over images in parallel.
#pragma once

#include <cstdint>

namespace soma {

// Normalises with batch statistics. Writes y, x_hat (may be null), the batch mean and biased
// variance (per channel, for the running-statistics update) and inv_std = 1/sqrt(var + eps).
void batchnorm_forward_train(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                             const float* beta, float eps, float* y, float* x_hat, double* mean,
                             double* var, float* inv_std);

// Backward through batch statistics from the forward's input x instead of x_hat: x_hat is
// recomputed as (x - mean_f) * inv_std in float with mean_f[c] = float(mean[c]), exactly as
// batchnorm_forward_train computes it, so the result equals batchnorm_backward_train bit for
// bit. Training then keeps x (the previous layer's output, a handle) and the forward writes no
// x_hat (one full-size write pass and buffer less).
void batchnorm_backward_train_from_input(const float* grad_y, const float* x, const float* mean_f,
                                         const float* inv_std, int64_t b, int64_t c, int64_t s,
                                         const float* gamma, float* grad_x, float* grad_gamma,
                                         float* grad_beta);

// Normalises with given statistics (running mean and variance).
void batchnorm_forward_eval(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                            const float* beta, float eps, const float* mean, const float* var,
                            float* y);

// Backward through batch statistics; grad_gamma/grad_beta accumulate and may be null.
void batchnorm_backward_train(const float* grad_y, const float* x_hat, const float* inv_std,
                              int64_t b, int64_t c, int64_t s, const float* gamma, float* grad_x,
                              float* grad_gamma, float* grad_beta);

// Backward through the fixed eval map: grad_x = gamma / sqrt(var + eps) * grad_y; grad_gamma
// += sum grad_y * (x - mean) / sqrt(var + eps), grad_beta += sum grad_y (both may be null).
void batchnorm_backward_eval(const float* x, const float* grad_y, int64_t b, int64_t c,
                             int64_t s, const float* gamma, float eps, const float* mean,
                             const float* var, float* grad_x, float* grad_gamma,
                             float* grad_beta);

// --- Synchronised batch norm (train.sync_bn): statistics over the shards of all data-parallel
// ranks. The layer sums what these return across ranks between the calls, so with the global
// count n = sum of the ranks' B*S the result equals one process normalising the whole batch
// (up to summation order): mean = sum x / n, var = sum (x - mean)^2 / n (two passes, as above).

// sum[c] = sum of x over the B*S values of channel c (double).
void batchnorm_channel_sums(const float* x, int64_t b, int64_t c, int64_t s, double* sum);
// sq[c] = sum of (x - mean[c])^2 over channel c (double).
void batchnorm_channel_sq_dev(const float* x, int64_t b, int64_t c, int64_t s, const double* mean,
                              double* sq);
// y = gamma * x_hat + beta, x_hat = (x - mean) * inv_std, for given statistics; x_hat may be null.
void batchnorm_normalize(const float* x, int64_t b, int64_t c, int64_t s, const float* gamma,
                         const float* beta, const double* mean, const float* inv_std, float* y,
                         float* x_hat);
// Running statistics after a training batch of `count` values per channel (PyTorch's rule):
// running_mean = (1 - m) running_mean + m mean,
// running_var = (1 - m) running_var + m var count / (count - 1)   (unbiased batch variance).
void batchnorm_update_running(float* running_mean, float* running_var, const double* mean,
                              const double* var, int64_t c, double momentum, double count);
// sum_g[c] = sum grad_y, sum_gx[c] = sum grad_y * x_hat over channel c (double).
void batchnorm_grad_sums(const float* grad_y, const float* x_hat, int64_t b, int64_t c, int64_t s,
                         double* sum_g, double* sum_gx);
// grad_x = gamma * inv_std * (grad_y - sum_g / n - x_hat * sum_gx / n), with the global count n
// and the global sums.
void batchnorm_backward_apply(const float* grad_y, const float* x_hat, const float* inv_std,
                              int64_t b, int64_t c, int64_t s, const float* gamma, double n,
                              const double* sum_g, const double* sum_gx, float* grad_x);

}  // namespace soma
