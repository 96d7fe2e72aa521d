// Binding of the engine to JavaScript. Functions callable from JS start with
// JS_; each takes its Engine from the function's data (no statics: every
// environment that loads the addon has its own engine).
#include "engine_wrap.h"

#include <cstdint>

#include "../engine/v8_compat.h"
#include "util.h"

namespace tasklet {

namespace {

Engine* EngineOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<AddonData*>(ExternalValue(info.Data()))
      ->engine.get();
}

bool IsTasklet(v8::Local<v8::Value> value) {
  return value->IsObject() &&
         value.As<v8::Object>()->InternalFieldCount() == kTaskletFieldCount;
}

// new TaskletBase(): the native half of every Tasklet object. Captures the
// async context frame current at creation.
void JS_TaskletBase(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!CheckConstructCall(info)) return;
  EngineOf(info)->InitTaskletFields(info.This());
}

// switchTo(target: Tasklet | null, spin: boolean) -> 0 resumed,
// 1 terminated (the caller must unwind at once), 2 no carrier (stack or
// thread) could be made.
// CAUTION: runs other tasklets before it returns; may trigger GC.
void JS_SwitchTo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Engine* engine = EngineOf(info);
  v8::Local<v8::Object> target;
  if (IsTasklet(info[0])) {
    target = info[0].As<v8::Object>();
  } else if (!info[0]->IsNullOrUndefined()) {
    ThrowTypeError(info.GetIsolate(), "switchTo: target must be a tasklet or null");
    return;
  }
  bool spin = info[1]->IsTrue();
  SwitchResult result = engine->SwitchTo(target, spin);
  info.GetReturnValue().Set(static_cast<int32_t>(result));
}

// settle(value, pending): for a settled native promise, its value (or throws
// its reason, the very same object, marking the rejection handled); for a
// pending promise or any other thenable, `pending`; otherwise `value`.
void JS_Settle(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Value> value = info[0];
  if (!value->IsPromise()) {
    if (value->IsObject() || value->IsFunction()) {
      info.GetReturnValue().Set(info[1]);  // maybe a thenable: JS decides
    } else {
      info.GetReturnValue().Set(value);
    }
    return;
  }
  v8::Local<v8::Promise> promise = value.As<v8::Promise>();
  switch (promise->State()) {
    case v8::Promise::kFulfilled:
      info.GetReturnValue().Set(promise->Result());
      return;
    case v8::Promise::kRejected: {
      v8::Isolate* isolate = info.GetIsolate();
      v8::Local<v8::Context> context = isolate->GetCurrentContext();
      // Adding a handler tells Node the rejection is handled (no
      // 'unhandledRejection'); MarkAsHandled alone would not reach Node.
      if (info[2]->IsFunction()) {
        v8::Local<v8::Promise> ignored;
        if (!promise->Catch(context, info[2].As<v8::Function>()).ToLocal(&ignored)) return;
      }
      isolate->ThrowException(promise->Result());
      return;
    }
    case v8::Promise::kPending:
      info.GetReturnValue().Set(info[1]);
      return;
  }
}

void JS_SetRunner(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsFunction()) {
    ThrowTypeError(info.GetIsolate(), "setRunner: runner must be a function");
    return;
  }
  EngineOf(info)->SetRunner(info[0].As<v8::Function>());
}

void JS_SetStackSize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Engine* engine = EngineOf(info);
  if (info[0]->IsNumber()) {
    double bytes = info[0].As<v8::Number>()->Value();
    if (bytes >= static_cast<double>(kMinStackSize) && bytes <= (1ull << 32)) {
      engine->SetStackSize(static_cast<size_t>(bytes));
    }
  }
  info.GetReturnValue().Set(static_cast<double>(engine->stack_size()));
}

// stats() -> [carriers, idle carriers, spinner slots in use]
void JS_Stats(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Engine* engine = EngineOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> values[] = {
      v8::Number::New(isolate, static_cast<double>(engine->carrier_count())),
      v8::Number::New(isolate, static_cast<double>(engine->idle_count())),
      v8::Number::New(isolate, static_cast<double>(engine->spinner_count())),
  };
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 3));
}

// engineInfo() -> [name, reason the fiber engine is not used ("" if it is),
// whether TASKLET_ENGINE=fiber was asked for and refused]
void JS_EngineInfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonData* addon = static_cast<AddonData*>(ExternalValue(info.Data()));
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> values[] = {
      v8::String::NewFromUtf8(isolate, addon->engine->name()).ToLocalChecked(),
      v8::String::NewFromUtf8(isolate, addon->engine_reason.c_str()).ToLocalChecked(),
      v8::Boolean::New(isolate, addon->engine_forced_failed),
  };
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 3));
}

void JS_SetTrackContextFrame(const v8::FunctionCallbackInfo<v8::Value>& info) {
  EngineOf(info)->SetTrackContextFrame(info[0]->IsTrue());
}

void SetFunction(v8::Local<v8::Context> context, v8::Local<v8::Object> exports,
                 v8::Local<v8::External> data, const char* name,
                 v8::FunctionCallback callback) {
  v8::Isolate* isolate = CurrentIsolate();
  v8::Local<v8::String> key =
      v8::String::NewFromUtf8(isolate, name).ToLocalChecked();
  v8::Local<v8::Function> fn =
      v8::FunctionTemplate::New(isolate, callback, data, v8::Local<v8::Signature>(),
                                0, v8::ConstructorBehavior::kThrow)
          ->GetFunction(context)
          .ToLocalChecked();
  fn->SetName(key);
  exports->Set(context, key, fn).Check();
}

}  // namespace

void InitEngineBinding(v8::Local<v8::Context> context,
                       v8::Local<v8::Object> exports, AddonData* addon) {
  v8::Isolate* isolate = CurrentIsolate();
  v8::Local<v8::External> data = NewExternal(isolate, addon);

  v8::Local<v8::FunctionTemplate> base =
      v8::FunctionTemplate::New(isolate, JS_TaskletBase, data);
  v8::Local<v8::String> base_name =
      v8::String::NewFromUtf8Literal(isolate, "TaskletBase");
  base->SetClassName(base_name);
  base->InstanceTemplate()->SetInternalFieldCount(kTaskletFieldCount);
  exports->Set(context, base_name, base->GetFunction(context).ToLocalChecked())
      .Check();

  SetFunction(context, exports, data, "switchTo", JS_SwitchTo);
  SetFunction(context, exports, data, "settle", JS_Settle);
  SetFunction(context, exports, data, "setRunner", JS_SetRunner);
  SetFunction(context, exports, data, "setStackSize", JS_SetStackSize);
  SetFunction(context, exports, data, "stats", JS_Stats);
  SetFunction(context, exports, data, "engineInfo", JS_EngineInfo);
  SetFunction(context, exports, data, "setTrackContextFrame", JS_SetTrackContextFrame);
}

}  // namespace tasklet
