// Per-environment instance data of the addon: the engine and the channels
// that must release their V8 handles when the environment goes away.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>

#include "../engine/engine.h"

namespace tasklet {

class ChannelWrap;
struct SharedState;

struct AddonData {
  std::unique_ptr<Engine> engine;
  // Why the fiber engine was not used (empty when it is): the reason its
  // load-time checks refused, or the TASKLET_ENGINE setting.
  std::string engine_reason;
  // TASKLET_ENGINE=fiber and the fiber engine refused: the module throws.
  bool engine_forced_failed = false;
  std::unordered_set<ChannelWrap*> channels;
  SharedState* shared = nullptr;  // cross-thread channels' inbox and waiters
};

// Frees every channel of this environment (called after Engine::Teardown).
void DestroyChannels(AddonData* data);

}  // namespace tasklet
