// Binding of ChannelCore. Each ChannelBase object owns one core (internal
// field 0), freed when the object is collected or the environment ends.
// Methods check their receiver with a v8::Signature before unwrapping.
#include "channel_wrap.h"

#include <deque>

#include "../engine/channel.h"
#include "../engine/v8_compat.h"
#include "util.h"

namespace tasklet {

class ChannelWrap {
 public:
  ChannelWrap(AddonData* data, v8::Isolate* isolate,
              v8::Local<v8::Object> self, double capacity)
      : data_(data), core(capacity), self_(isolate, self) {
    SetFieldPointer(self, 0, this);
    self_.SetWeak(this, OnCollected, v8::WeakCallbackType::kParameter);
    data_->channels.insert(this);
  }
  ~ChannelWrap() {
    data_->channels.erase(this);
    core.Clear();
    self_.Reset();
  }

  static ChannelWrap* Unwrap(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<ChannelWrap*>(
        GetFieldPointer(info.This(), 0));
  }

 private:
  static void OnCollected(const v8::WeakCallbackInfo<ChannelWrap>& info) {
    delete info.GetParameter();
  }

  AddonData* data_;

 public:
  ChannelCore core;

 private:
  v8::Global<v8::Object> self_;
};

void DestroyChannels(AddonData* data) {
  while (!data->channels.empty()) delete *data->channels.begin();
}

namespace {

AddonData* DataOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<AddonData*>(ExternalValue(info.Data()));
}

v8::Local<v8::Object> OptionalObject(v8::Local<v8::Value> value) {
  return value->IsObject() ? value.As<v8::Object>() : v8::Local<v8::Object>();
}

// Writes out[0] = value, out[1] = woken waiter, out[2] = is_exception.
void SetOut(v8::Local<v8::Context> context, v8::Local<v8::Value> out_value,
            v8::Local<v8::Value> value, v8::Local<v8::Object> woken,
            bool is_exception) {
  if (!out_value->IsArray()) return;
  v8::Isolate* isolate = CurrentIsolate();
  v8::Local<v8::Array> out = out_value.As<v8::Array>();
  out->Set(context, 0, value.IsEmpty() ? v8::Undefined(isolate).As<v8::Value>() : value).Check();
  out->Set(context, 1, woken.IsEmpty() ? v8::Undefined(isolate).As<v8::Value>() : woken.As<v8::Value>()).Check();
  out->Set(context, 2, v8::Boolean::New(isolate, is_exception)).Check();
}

// new ChannelBase(capacity): capacity is a whole number >= 0 or Infinity
// (checked in TypeScript; re-checked here because it sizes the buffer).
void JS_ChannelBase(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!CheckConstructCall(info)) return;
  double capacity = info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : 0;
  if (!(capacity >= 0)) capacity = 0;
  new ChannelWrap(DataOf(info), isolate, info.This(), capacity);
}

// _send(value, isException, waiter?, out) -> ChannelOp
void JS_Send(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Object> woken;
  ChannelOp op = ChannelWrap::Unwrap(info)->core.Send(
      isolate, info[0], info[1]->IsTrue(), OptionalObject(info[2]), &woken);
  if (op == ChannelOp::kWake) {
    SetOut(isolate->GetCurrentContext(), info[3], v8::Local<v8::Value>(), woken, false);
  }
  info.GetReturnValue().Set(static_cast<int32_t>(op));
}

// _receive(waiter?, out) -> ChannelOp
void JS_Receive(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> value;
  v8::Local<v8::Object> woken;
  bool is_exception = false;
  ChannelOp op = ChannelWrap::Unwrap(info)->core.Receive(
      isolate, OptionalObject(info[0]), &value, &is_exception, &woken);
  if (op == ChannelOp::kDone || op == ChannelOp::kWake) {
    SetOut(isolate->GetCurrentContext(), info[1], value, woken, is_exception);
  }
  info.GetReturnValue().Set(static_cast<int32_t>(op));
}

// _putBack(value, isException, out) -> ChannelOp; a woken receiver lands in out[1].
void JS_PutBack(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Object> woken;
  ChannelOp op = ChannelWrap::Unwrap(info)->core.PutBack(
      isolate, info[0], info[1]->IsTrue(), &woken);
  if (op == ChannelOp::kWake) {
    SetOut(isolate->GetCurrentContext(), info[2], v8::Local<v8::Value>(), woken, false);
  }
  info.GetReturnValue().Set(static_cast<int32_t>(op));
}

// _wait(waiter, isSender, value, isException)
void JS_Wait(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info[0]->IsObject()) return;
  ChannelWrap::Unwrap(info)->core.Wait(info.GetIsolate(), info[0].As<v8::Object>(),
                                       info[1]->IsTrue(), info[2], info[3]->IsTrue());
}

// _cancel(waiter) -> boolean
void JS_Cancel(const v8::FunctionCallbackInfo<v8::Value>& info) {
  bool removed = info[0]->IsObject() &&
                 ChannelWrap::Unwrap(info)->core.Cancel(info.GetIsolate(), info[0].As<v8::Object>());
  info.GetReturnValue().Set(removed);
}

// _close() -> array of receivers that must fail with ChannelClosedError
void JS_Close(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::deque<v8::Global<v8::Object>> receivers;
  ChannelWrap::Unwrap(info)->core.Close(&receivers);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate, static_cast<int>(receivers.size()));
  uint32_t i = 0;
  for (auto& r : receivers) out->Set(context, i++, r.Get(isolate)).Check();
  info.GetReturnValue().Set(out);
}

void JS_Open(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ChannelWrap::Unwrap(info)->core.Open();
}

// _state() -> balance, with closing/closed/buffered packed in: returns
// [balance, closing, closed, buffered]
void JS_State(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  ChannelCore& core = ChannelWrap::Unwrap(info)->core;
  v8::Local<v8::Value> values[] = {
      v8::Integer::New(isolate, core.Balance()),
      v8::Boolean::New(isolate, core.Closing()),
      v8::Boolean::New(isolate, core.Closed()),
      v8::Number::New(isolate, static_cast<double>(core.Buffered())),
  };
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 4));
}

void JS_Balance(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(ChannelWrap::Unwrap(info)->core.Balance());
}

}  // namespace

void InitChannelBinding(v8::Local<v8::Context> context,
                        v8::Local<v8::Object> exports, AddonData* data) {
  v8::Isolate* isolate = CurrentIsolate();
  v8::Local<v8::External> external = NewExternal(isolate, data);
  v8::Local<v8::FunctionTemplate> tmpl =
      v8::FunctionTemplate::New(isolate, JS_ChannelBase, external);
  v8::Local<v8::String> name = v8::String::NewFromUtf8Literal(isolate, "ChannelBase");
  tmpl->SetClassName(name);
  tmpl->InstanceTemplate()->SetInternalFieldCount(1);
  SetMethod(isolate, tmpl, external, "_send", JS_Send);
  SetMethod(isolate, tmpl, external, "_receive", JS_Receive);
  SetMethod(isolate, tmpl, external, "_putBack", JS_PutBack);
  SetMethod(isolate, tmpl, external, "_wait", JS_Wait);
  SetMethod(isolate, tmpl, external, "_cancel", JS_Cancel);
  SetMethod(isolate, tmpl, external, "_close", JS_Close);
  SetMethod(isolate, tmpl, external, "_open", JS_Open);
  SetMethod(isolate, tmpl, external, "_state", JS_State);
  SetMethod(isolate, tmpl, external, "_balance", JS_Balance);
  exports->Set(context, name, tmpl->GetFunction(context).ToLocalChecked()).Check();
}

}  // namespace tasklet
