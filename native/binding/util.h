// Small helpers shared by the binding files: errors and prototype methods.
#pragma once

#include <v8.h>

namespace tasklet {

inline void ThrowTypeError(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(
      v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

// For native class constructors: false (with a TypeError thrown) unless
// called with `new`.
inline bool CheckConstructCall(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.IsConstructCall()) return true;
  ThrowTypeError(info.GetIsolate(), "Class constructor cannot be invoked without 'new'");
  return false;
}

// Adds a non-enumerable prototype method whose receiver V8 checks (a
// v8::Signature) before the callback unwraps it.
inline void SetMethod(v8::Isolate* isolate, v8::Local<v8::FunctionTemplate> tmpl,
                      v8::Local<v8::External> data, const char* name,
                      v8::FunctionCallback callback) {
  v8::Local<v8::FunctionTemplate> method = v8::FunctionTemplate::New(
      isolate, callback, data, v8::Signature::New(isolate, tmpl), 0,
      v8::ConstructorBehavior::kThrow);
  tmpl->PrototypeTemplate()->Set(
      v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), method,
      v8::DontEnum);
}

}  // namespace tasklet
