// Binding of the engine to JavaScript: the tasklet base class and the
// functions the TypeScript scheduler calls on the switch path.
#pragma once

#include <v8.h>

#include "addon_data.h"

namespace tasklet {

// Adds the engine's functions to `exports` for this environment's addon data.
void InitEngineBinding(v8::Local<v8::Context> context,
                       v8::Local<v8::Object> exports, AddonData* addon);

}  // namespace tasklet
