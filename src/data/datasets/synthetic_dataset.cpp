#include "soma/data/datasets/synthetic_dataset.hpp"

#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/core/error.hpp"

namespace soma {

SyntheticDataset::SyntheticDataset(const SyntheticOptions& o) : o_(o) {
  SOMA_CHECK(o_.step_shape.rank() >= 1 && o_.step_shape.rank() <= 4,
             "synthetic dataset: shape must have 1 to 4 dims, got ", o_.step_shape.str());
  for (int d = 0; d < o_.step_shape.rank(); ++d)
    SOMA_CHECK(o_.step_shape[d] > 0, "synthetic dataset: shape dims must be > 0, got ",
               o_.step_shape.str());
  SOMA_CHECK(o_.time_steps > 0, "synthetic dataset: time_steps must be > 0, got ", o_.time_steps);
  SOMA_CHECK(o_.classes >= 1, "synthetic dataset: classes must be >= 1, got ", o_.classes);
  SOMA_CHECK(o_.density >= 0.f && o_.density <= 1.f,
             "synthetic dataset: density must be in [0, 1], got ", o_.density);
  SOMA_CHECK(o_.samples >= 1, "synthetic dataset: samples must be >= 1, got ", o_.samples);
}

Shape SyntheticDataset::sample_shape() const {
  std::vector<int64_t> d{o_.time_steps};
  for (int k = 0; k < o_.step_shape.rank(); ++k) d.push_back(o_.step_shape[k]);
  return Shape(d);
}

int SyntheticDataset::label(int64_t i) const {
  SOMA_ASSERT(i >= 0 && i < o_.samples, "sample ", i, " of ", o_.samples);
  Rng r(o_.seed ^ kLabelSalt, static_cast<uint64_t>(i));
  return static_cast<int>(r.below(static_cast<uint64_t>(o_.classes)));
}

void SyntheticDataset::get(int64_t i, float* out, Rng& /*rng*/) const {
  SOMA_ASSERT(i >= 0 && i < o_.samples, "sample ", i, " of ", o_.samples);
  Rng r(o_.seed, static_cast<uint64_t>(i));
  const int64_t M = o_.step_shape.numel();
  const int64_t T = o_.time_steps;
  if (o_.pattern == SyntheticOptions::Pattern::kBernoulli) {
    const float p = o_.density;
    for (int64_t k = 0; k < T * M; ++k) out[k] = r.uniform() < p ? 1.f : 0.f;
  } else {
    for (int64_t k = 0; k < M; ++k) out[k] = r.uniform();
    for (int64_t t = 1; t < T; ++t)
      for (int64_t k = 0; k < M; ++k) out[t * M + k] = out[k];
  }
}

SyntheticOptions parse_synthetic_options(const ConfigNode& data, int64_t time_steps,
                                         int64_t batch_size) {
  SyntheticOptions o;
  o.time_steps = time_steps;
  data.require(data.has("shape"), "shape",
               "dataset: synthetic needs the per-step input shape, e.g. shape: [2, 34, 34]");
  const std::vector<int64_t> dims = data.get_int_list("shape");
  data.require(!dims.empty() && dims.size() <= 4, "shape", "expected 1 to 4 dims, got ",
               dims.size());
  for (int64_t d : dims) data.require(d > 0, "shape", "dims must be > 0, got ", d);
  o.step_shape = Shape(dims);
  const int64_t classes = data.get_int("classes", 10);
  data.require(classes >= 1 && classes <= 1000000, "classes", "must be in 1..1e6, got ", classes);
  o.classes = static_cast<int>(classes);
  const double density = data.get_double("density", 0.2);
  data.require(density >= 0.0 && density <= 1.0, "density", "must be in [0, 1], got ", density);
  o.density = static_cast<float>(density);
  const int64_t samples = data.get_int("samples", 0);
  data.require(samples >= 0, "samples", "must be >= 0 (0 = one batch), got ", samples);
  o.samples = samples > 0 ? samples : batch_size;
  const int64_t seed = data.get_int("seed", 0);
  data.require(seed >= 0, "seed", "must be >= 0, got ", seed);
  o.seed = static_cast<uint64_t>(seed);
  const std::string pattern = data.get_choice("pattern", {"bernoulli", "static_uniform"}, "bernoulli");
  o.pattern = pattern == "bernoulli" ? SyntheticOptions::Pattern::kBernoulli
                                     : SyntheticOptions::Pattern::kStaticUniform;
  return o;
}

std::string SyntheticDataset::describe() const {
  const bool bern = o_.pattern == SyntheticOptions::Pattern::kBernoulli;
  return str_cat("synthetic (timing only, random labels): ", o_.samples, " samples ",
                 o_.step_shape.str(), ", T=", o_.time_steps, ", ",
                 bern ? str_cat("Bernoulli(", o_.density, ")") : std::string("static U[0,1)"),
                 ", seed ", o_.seed);
}

}  // namespace soma
