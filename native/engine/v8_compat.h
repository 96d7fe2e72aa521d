// Small wrappers over V8 APIs that changed between the V8 versions of
// Node 20 (V8 11), 22 (12), 24 (13) and 26 (14): aligned pointers in
// internal fields and External values take a type tag since V8 14.
#pragma once

#include <v8.h>

namespace tasklet {

inline void SetFieldPointer(v8::Local<v8::Object> object, int index, void* value) {
#if V8_MAJOR_VERSION >= 14
  object->SetAlignedPointerInInternalField(index, value, v8::kEmbedderDataTypeTagDefault);
#else
  object->SetAlignedPointerInInternalField(index, value);
#endif
}

inline void* GetFieldPointer(v8::Local<v8::Object> object, int index) {
#if V8_MAJOR_VERSION >= 14
  return object->GetAlignedPointerFromInternalField(index, v8::kEmbedderDataTypeTagDefault);
#else
  return object->GetAlignedPointerFromInternalField(index);
#endif
}

inline v8::Local<v8::External> NewExternal(v8::Isolate* isolate, void* value) {
#if V8_MAJOR_VERSION >= 14
  return v8::External::New(isolate, value, v8::kExternalPointerTypeTagDefault);
#else
  return v8::External::New(isolate, value);
#endif
}

inline void* ExternalValue(v8::Local<v8::Value> value) {
#if V8_MAJOR_VERSION >= 14
  return value.As<v8::External>()->Value(v8::kExternalPointerTypeTagDefault);
#else
  return value.As<v8::External>()->Value();
#endif
}

// Async context frames (continuation-preserved embedder data): on the
// Context in V8 11, on the Isolate as a Value in V8 12-13, as Data (V2) in
// V8 14.
#if V8_MAJOR_VERSION >= 14
using FrameValue = v8::Data;
#else
using FrameValue = v8::Value;
#endif

inline v8::Local<FrameValue> GetContextFrame(v8::Isolate* isolate) {
#if V8_MAJOR_VERSION >= 14
  return isolate->GetContinuationPreservedEmbedderDataV2();
#elif V8_MAJOR_VERSION >= 12
  return isolate->GetContinuationPreservedEmbedderData();
#else
  return isolate->GetCurrentContext()->GetContinuationPreservedEmbedderData();
#endif
}

inline void SetContextFrame(v8::Isolate* isolate, v8::Local<FrameValue> frame) {
#if V8_MAJOR_VERSION >= 14
  isolate->SetContinuationPreservedEmbedderDataV2(frame);
#elif V8_MAJOR_VERSION >= 12
  isolate->SetContinuationPreservedEmbedderData(frame);
#else
  isolate->GetCurrentContext()->SetContinuationPreservedEmbedderData(frame);
#endif
}

// Reads an internal field that holds a JS value or frame (a Data since V8 12).
inline v8::Local<FrameValue> GetFieldFrame(v8::Local<v8::Object> object, int index) {
#if V8_MAJOR_VERSION >= 14
  return object->GetInternalField(index);
#elif V8_MAJOR_VERSION >= 12
  return object->GetInternalField(index).As<v8::Value>();
#else
  return object->GetInternalField(index);
#endif
}

// The isolate of the thread calling into an addon (Context::GetIsolate()
// is gone in V8 14).
inline v8::Isolate* CurrentIsolate() { return v8::Isolate::GetCurrent(); }

}  // namespace tasklet
