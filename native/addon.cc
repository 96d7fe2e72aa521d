// Module init: per-environment instance data (an Engine and its channels) for
// the main thread and each worker, torn down by an environment cleanup hook
// before the isolate goes away. No mutable statics.
#include <node.h>
#include <v8.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/fiber.h"
#include "engine/strand.h"
#include "engine/v8_compat.h"

#include "binding/addon_data.h"
#include "binding/channel_wrap.h"
#include "binding/engine_wrap.h"
#include "binding/shared_channel_wrap.h"

namespace tasklet {
namespace {

void Cleanup(void* arg) {
  AddonData* data = static_cast<AddonData*>(arg);
  data->engine->Teardown();
  {
    v8::HandleScope scope(data->engine->isolate());
    DestroyChannels(data);
    DestroyShared(data);
  }
  delete data;
}

// The one place the engine is chosen: fibers where their load-time checks
// pass, strands otherwise; TASKLET_ENGINE=strand|fiber forces one.
void ChooseEngine(v8::Isolate* isolate, v8::Local<v8::Context> context, AddonData* data) {
  const char* forced = std::getenv("TASKLET_ENGINE");
  bool want_strand = forced != nullptr && std::strcmp(forced, "strand") == 0;
  bool want_fiber = forced != nullptr && std::strcmp(forced, "fiber") == 0;
  if (want_strand) {
    data->engine_reason = "TASKLET_ENGINE=strand";
  } else {
    std::string reason;
    data->engine = FiberEngine::Create(isolate, context, &reason);
    if (data->engine == nullptr) {
      data->engine_reason = reason;
      data->engine_forced_failed = want_fiber;
    }
  }
  if (data->engine == nullptr) data->engine = std::make_unique<StrandEngine>(isolate, context);
}

}  // namespace
}  // namespace tasklet

NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = tasklet::CurrentIsolate();
  // V8 aborts ("archived threads in combination with wasm not supported")
  // when its wasm code GC runs while any thread is archived, i.e. while any
  // tasklet is suspended. Reproduced on Node 20 under GC stress; Node's
  // fetch() uses wasm. Turning wasm code GC off is the only public remedy.
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
  auto* data = new tasklet::AddonData();
  tasklet::ChooseEngine(isolate, context, data);
  node::AddEnvironmentCleanupHook(isolate, tasklet::Cleanup, data);
  tasklet::InitEngineBinding(context, exports, data);
  tasklet::InitChannelBinding(context, exports, data);
  tasklet::InitSharedChannelBinding(context, exports, data);
  (void)module;
}
