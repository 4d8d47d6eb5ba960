#include "soma/data/dataset.hpp"

#include "soma/core/error.hpp"

namespace soma {

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  for (int64_t i : indices_)
    SOMA_ASSERT(i >= 0 && i < base_->size(), "subset index ", i, " of ", base_->size());
}

std::string SubsetDataset::describe() const {
  return str_cat(base_->describe(), " (subset of ", indices_.size(), ")");
}

}  // namespace soma
