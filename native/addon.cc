// Module init: one Engine per Node environment (main thread or worker), torn
// down by an environment cleanup hook before the isolate goes away.
#include <node.h>
#include <v8.h>

#include "binding/engine_wrap.h"
#include "engine/engine.h"

namespace tasklet {
namespace {

void Cleanup(void* arg) {
  Engine* engine = static_cast<Engine*>(arg);
  engine->Teardown();
  delete engine;
}

}  // namespace
}  // namespace tasklet

NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = context->GetIsolate();
  // V8 aborts ("archived threads in combination with wasm not supported")
  // when its wasm code GC runs while any thread is archived, i.e. while any
  // tasklet is suspended. Reproduced on Node 20 under GC stress; Node's
  // fetch() uses wasm. Turning wasm code GC off is the only public remedy.
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
  auto* engine = new tasklet::Engine(isolate, context);
  node::AddEnvironmentCleanupHook(isolate, tasklet::Cleanup, engine);
  tasklet::InitEngineBinding(context, exports, engine);
  (void)module;
}
