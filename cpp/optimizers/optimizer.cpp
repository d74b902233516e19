#include "optimizers/optimizer.hpp"

#include "core/profile.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/parallel.hpp"
#include "kernels/optim.hpp"
#include "kernels/reduce.hpp"

namespace gradstep {

namespace {
// An update touches ~4 floats per parameter; below this chunk a thread is not worth waking.
constexpr std::int64_t kUpdateGrain = 1 << 15;
}  // namespace

void require_non_negative(const char* name, float value) {
  if (!(value >= 0.0f) || std::isinf(value))
    throw std::invalid_argument(std::string(name) + " must be a finite number >= 0, got " + std::to_string(value));
}

void require_unit_interval(const char* name, float value) {
  if (!(value >= 0.0f && value < 1.0f))
    throw std::invalid_argument(std::string(name) + " must be in [0, 1), got " + std::to_string(value));
}

Optimizer::Optimizer(float learning_rate) { set_learning_rate(learning_rate); }

void Optimizer::set_learning_rate(float lr) {
  require_non_negative("learning_rate", lr);
  learning_rate_ = lr;
}

void Optimizer::set_weight_decay(float wd) {
  require_non_negative("weight_decay", wd);
  weight_decay_ = wd;
}

void Optimizer::set_clipping(float clipnorm, float clipvalue, float global_clipnorm) {
  require_non_negative("clipnorm", clipnorm);
  require_non_negative("clipvalue", clipvalue);
  require_non_negative("global_clipnorm", global_clipnorm);
  const int set = (clipnorm > 0) + (clipvalue > 0) + (global_clipnorm > 0);
  if (set > 1)
    throw std::invalid_argument(
        "only one of clipnorm, clipvalue and global_clipnorm can be set, got clipnorm=" + std::to_string(clipnorm) +
        ", clipvalue=" + std::to_string(clipvalue) + ", global_clipnorm=" + std::to_string(global_clipnorm));
  clipnorm_ = clipnorm;
  clipvalue_ = clipvalue;
  global_clipnorm_ = global_clipnorm;
}

void Optimizer::build(const std::vector<ParamSegment>& segments) {
  segments_ = segments;
  total_ = 0;
  for (const auto& s : segments) {
    if (s.offset != total_) throw std::invalid_argument("Optimizer.build: segments must be contiguous from 0");
    total_ += s.size;
  }
  const auto names = slot_names();
  slots_.clear();
  slots_.resize(names.size());
  for (auto& buffer : slots_) {
    buffer.resize(static_cast<std::size_t>(total_));
    buffer.fill_zero();
  }
  init_slots();
  built_ = true;
  set_frozen(std::vector<bool>(segments_.size(), false));
}

void Optimizer::set_frozen(const std::vector<bool>& frozen_per_segment) {
  if (frozen_per_segment.size() != segments_.size())
    throw std::invalid_argument("Optimizer.set_frozen: expected " + std::to_string(segments_.size()) + " flags, got " +
                                std::to_string(frozen_per_segment.size()));
  frozen_ = frozen_per_segment;
  active_ranges_.clear();
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (frozen_[i] || segments_[i].size == 0) continue;
    if (!active_ranges_.empty() && active_ranges_.back().offset + active_ranges_.back().size == segments_[i].offset)
      active_ranges_.back().size += segments_[i].size;
    else
      active_ranges_.push_back(segments_[i]);
  }
}

void Optimizer::clip_gradients(float* grads) {
  if (clipnorm_ > 0.0f) {
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      if (frozen_[i]) continue;
      const ParamSegment& s = segments_[i];
      const double norm = std::sqrt(sum_of_squares(s.size, grads + s.offset));
      if (norm > clipnorm_) optim::scale(s.size, grads + s.offset, static_cast<float>(clipnorm_ / norm));
    }
  } else if (global_clipnorm_ > 0.0f) {
    double squares = 0.0;
    for (std::size_t i = 0; i < segments_.size(); ++i)
      if (!frozen_[i]) squares += sum_of_squares(segments_[i].size, grads + segments_[i].offset);
    const double norm = std::sqrt(squares);
    if (norm > global_clipnorm_)
      for (const auto& r : active_ranges_)
        optim::scale(r.size, grads + r.offset, static_cast<float>(global_clipnorm_ / norm));
  } else if (clipvalue_ > 0.0f) {
    for (const auto& r : active_ranges_) optim::clip_values(r.size, grads + r.offset, clipvalue_);
  }
}

void Optimizer::apply(float* params, float* grads) {
  ProfileScope profile(ProfiledKernel::optimizer, 0.0,
                       4.0 * static_cast<double>(total_) * static_cast<double>(3 + 2 * slots_.size()));
  if (!built_) throw std::logic_error("Optimizer.apply called before build");
  clip_gradients(grads);
  const float lr = learning_rate_;
  prepare_step(lr);
  update_pass(params, grads, lr);
  ++iterations_;
}

void Optimizer::apply_observed(float* params, float* grads, UpdateObserver& observer) {
  ProfileScope profile(ProfiledKernel::optimizer, 0.0,
                       4.0 * static_cast<double>(total_) * static_cast<double>(3 + 2 * slots_.size()));
  if (!built_) throw std::logic_error("Optimizer.apply_observed called before build");
  if (!can_observe()) throw std::logic_error("Optimizer.apply_observed: needs an element-wise rule and no clipping");
  const float lr = learning_rate_;
  prepare_step(lr);
  const float lr_times_wd = lr * weight_decay_;
  const auto& blocks = observer.update_blocks();
  if (!blocks.empty()) {
    // Shares of equal size in elements, as update_pass gives (blocks differ in size: a bias is
    // one small block): the chunk [b, e) of the elements runs the blocks that begin inside it.
    const auto first_block_at = [&](std::int64_t element) {
      return std::lower_bound(blocks.begin(), blocks.end(), element,
                              [](const UpdateObserver::Block& block, std::int64_t x) { return block.begin < x; }) -
             blocks.begin();
    };
    parallel_for(blocks.front().begin, blocks.back().end, kUpdateGrain, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t k = first_block_at(b), last = first_block_at(e); k < last; ++k) {
        const UpdateObserver::Block& block = blocks[k];
        const std::int64_t begin = block.begin, end = block.end;
        if (!frozen_[block.variable]) {
          kernels::NormLanes squares;
          if (update_and_square(begin, end, params, grads, lr, lr_times_wd, squares)) {
            observer.add_block_squares(static_cast<std::size_t>(k), squares);
            continue;
          }
        }
        observer.before_block(static_cast<std::size_t>(k), params + begin, grads + begin);
        if (!frozen_[block.variable]) {
          if (lr_times_wd != 0.0f) optim::decay(end - begin, params + begin, lr_times_wd);
          update(begin, end, params, grads, lr);
        }
        observer.after_block(static_cast<std::size_t>(k), params + begin);
      }
    });
  }
  ++iterations_;
}

void Optimizer::update_pass(float* params, const float* grads, float lr) {
  const float lr_times_wd = lr * weight_decay_;
  for (const auto& range : active_ranges_) {
    parallel_for(range.offset, range.offset + range.size, kUpdateGrain, [&](std::int64_t b, std::int64_t e) {
      if (lr_times_wd != 0.0f) optim::decay(e - b, params + b, lr_times_wd);
      update(b, e, params, grads, lr);
    });
  }
}

}  // namespace gradstep
