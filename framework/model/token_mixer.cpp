#include "model/token_mixer.h"

namespace attnlab {

Registry<MixerFactory>& mixer_registry() {
  static Registry<MixerFactory> registry("mixer");
  return registry;
}

}  // namespace attnlab
