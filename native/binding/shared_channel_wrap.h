// Binding of SharedChannel (the cross-thread channel) to JavaScript.
#pragma once

#include <v8.h>

#include "addon_data.h"

namespace tasklet {

void InitSharedChannelBinding(v8::Local<v8::Context> context,
                              v8::Local<v8::Object> exports, AddonData* data);

// Withdraws this environment's waiters from shared channels and closes its
// inbox (environment teardown, after Engine::Teardown).
void DestroyShared(AddonData* data);

}  // namespace tasklet
