// Which library's published rule an optimizer or BatchNormalization follows where Keras 3 and
// PyTorch differ (momentum form, epsilon placement, moving-statistics momentum and variance).
// Keras is the default everywhere; see each optimizer/layer header for the two rules.
#pragma once

#include <stdexcept>
#include <string>

namespace gradstep {

enum class Convention { keras, torch };

inline Convention parse_convention(const std::string& name) {
  if (name == "keras") return Convention::keras;
  if (name == "torch") return Convention::torch;
  throw std::invalid_argument("convention must be 'keras' or 'torch', got '" + name + "'");
}

inline const char* convention_name(Convention c) { return c == Convention::keras ? "keras" : "torch"; }

}  // namespace gradstep
