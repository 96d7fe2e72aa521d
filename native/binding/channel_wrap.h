// Binding of ChannelCore to JavaScript: the ChannelBase class that the
// TypeScript Channel extends.
#pragma once

#include <v8.h>

#include "addon_data.h"

namespace tasklet {

void InitChannelBinding(v8::Local<v8::Context> context,
                        v8::Local<v8::Object> exports, AddonData* data);

}  // namespace tasklet
