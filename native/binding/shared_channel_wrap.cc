// Binding of SharedChannel: the SharedChannelBase class that ThreadChannel
// extends, and this environment's Inbox (a uv_async_t on its loop that hands
// completions from other threads to JavaScript through node::MakeCallback).
// A channel travels between threads as a 1-byte SharedArrayBuffer whose
// backing store owns a reference to the channel.
#include "shared_channel_wrap.h"

#include <node.h>

#include <cstring>
#include <unordered_map>

#include "../engine/baton.h"
#include "../engine/shared_channel.h"
#include "../engine/v8_compat.h"
#include "util.h"

namespace tasklet {

namespace {

constexpr uint64_t kHolderMagic = 0x7461736b6c657463ull;  // "tasklet c"

// What a handle SharedArrayBuffer's backing store points at. JS sees only
// byte 0 of `scratch`; `magic` tells our stores from anybody else's.
struct Holder {
  unsigned char scratch[8];
  uint64_t magic;
  std::shared_ptr<SharedChannel> channel;
};

void DeleteHolder(void* data, size_t, void*) { delete static_cast<Holder*>(data); }

struct Pending {
  std::shared_ptr<SharedChannel> channel;
  std::shared_ptr<Waiter> waiter;
};

}  // namespace

struct SharedState {
  v8::Isolate* isolate = nullptr;
  std::shared_ptr<Inbox> inbox;
  v8::Global<v8::Context> context;
  v8::Global<v8::Function> handler;  // handler(ids, kinds, payloads, exceptions)
  v8::Global<v8::Function> noop;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, Pending> pending;
  bool async_open = false;
};

namespace {

class SharedChannelWrap {
 public:
  SharedChannelWrap(v8::Isolate* isolate, v8::Local<v8::Object> self,
                    v8::Local<v8::SharedArrayBuffer> handle, std::shared_ptr<SharedChannel> ch)
      : channel(std::move(ch)), self_(isolate, self), handle(isolate, handle) {
    SetFieldPointer(self, 0, this);
    self_.SetWeak(this, OnCollected, v8::WeakCallbackType::kParameter);
  }
  static SharedChannelWrap* Unwrap(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<SharedChannelWrap*>(GetFieldPointer(info.This(), 0));
  }
  std::shared_ptr<SharedChannel> channel;

 private:
  static void OnCollected(const v8::WeakCallbackInfo<SharedChannelWrap>& info) {
    SharedChannelWrap* self = info.GetParameter();
    self->self_.Reset();
    self->handle.Reset();
    delete self;
  }
  v8::Global<v8::Object> self_;

 public:
  v8::Global<v8::SharedArrayBuffer> handle;
};

SharedState* StateOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<AddonData*>(ExternalValue(info.Data()))->shared;
}

// Structured clone in C++ (v8::ValueSerializer): the same format as
// node:v8's serialize(), without its per-call JavaScript objects.
// SharedArrayBuffers are shared (their backing stores ride in the Message).
class Cloner : public v8::ValueSerializer::Delegate {
 public:
  Cloner(v8::Isolate* isolate, Message* message) : isolate_(isolate), message_(message) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    isolate_->ThrowException(v8::Exception::Error(message));
  }
  v8::Maybe<uint32_t> GetSharedArrayBufferId(v8::Isolate*, v8::Local<v8::SharedArrayBuffer> sab) override {
    std::shared_ptr<v8::BackingStore> store = sab->GetBackingStore();
    auto& list = message_->shared_buffers;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i] == store) return v8::Just(static_cast<uint32_t>(i));
    }
    list.push_back(std::move(store));
    return v8::Just(static_cast<uint32_t>(list.size() - 1));
  }

 private:
  v8::Isolate* isolate_;
  Message* message_;
};

class Reviver : public v8::ValueDeserializer::Delegate {
 public:
  explicit Reviver(const Message* message) : message_(message) {}
  v8::MaybeLocal<v8::SharedArrayBuffer> GetSharedArrayBufferFromId(v8::Isolate* isolate, uint32_t id) override {
    if (id >= message_->shared_buffers.size()) return {};
    return v8::SharedArrayBuffer::New(isolate, message_->shared_buffers[id]);
  }

 private:
  const Message* message_;
};

// Serializes `value`; the contents of the ArrayBuffers listed in `transfer`
// (an array or undefined) go with the Message, and the buffers are added to
// `moved`: the caller detaches them once the Message is sent (Detach), or
// leaves them alone if it was not. False with a JS exception pending when
// the value cannot be cloned or `transfer` is not a list of distinct,
// detachable ArrayBuffers.
using Moved = std::vector<v8::Local<v8::ArrayBuffer>>;

bool Serialize(v8::Isolate* isolate, v8::Local<v8::Value> value, v8::Local<v8::Value> transfer, Message* out,
               Moved* moved) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  Cloner delegate(isolate, out);
  v8::ValueSerializer serializer(isolate, &delegate);
  if (transfer->IsArray()) {
    v8::Local<v8::Array> list = transfer.As<v8::Array>();
    for (uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (!list->Get(context, i).ToLocal(&item)) return false;
      bool ok = item->IsArrayBuffer() && item.As<v8::ArrayBuffer>()->IsDetachable() &&
                !item.As<v8::ArrayBuffer>()->WasDetached();
      for (auto& seen : *moved) ok = ok && seen != item;
      if (!ok) {
        ThrowTypeError(isolate,
                       "The \"transfer\" argument must be an array of distinct, detachable ArrayBuffers");
        return false;
      }
      serializer.TransferArrayBuffer(static_cast<uint32_t>(moved->size()), item.As<v8::ArrayBuffer>());
      moved->push_back(item.As<v8::ArrayBuffer>());
    }
  }
  serializer.WriteHeader();
  if (!serializer.WriteValue(context, value).FromMaybe(false)) return false;
  for (auto& buffer : *moved) out->array_buffers.push_back(buffer->GetBackingStore());
  std::pair<uint8_t*, size_t> bytes = serializer.Release();  // malloc'd by the default delegate
  out->SetData(bytes.first, bytes.second);
  return true;
}

// Detaches the buffers whose contents went with a sent Message. No JS runs
// between the send and this, so the sender never sees memory the receiver
// already owns.
void Detach(const Moved& moved) {
  for (auto& buffer : moved) buffer->Detach(v8::Local<v8::Value>()).Check();
}

v8::Local<v8::Value> Deserialize(v8::Isolate* isolate, v8::Local<v8::Context> context, const Message& message) {
  Reviver delegate(&message);
  v8::ValueDeserializer deserializer(isolate, message.data(), message.size(), &delegate);
  for (size_t i = 0; i < message.array_buffers.size(); ++i) {
    deserializer.TransferArrayBuffer(static_cast<uint32_t>(i), v8::ArrayBuffer::New(isolate, message.array_buffers[i]));
  }
  v8::Local<v8::Value> value;
  if (!deserializer.ReadHeader(context).FromMaybe(false) || !deserializer.ReadValue(context).ToLocal(&value)) {
    return v8::Undefined(isolate);
  }
  return value;
}

void OnInbox(uv_async_t* async) {
  SharedState* state = static_cast<SharedState*>(async->data);
  std::vector<Completion> done = state->inbox->Drain();
  if (done.empty() || state->handler.IsEmpty()) return;
  v8::Isolate* isolate = state->isolate;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = state->context.Get(isolate);
  v8::Context::Scope context_scope(context);
  int n = static_cast<int>(done.size());
  v8::Local<v8::Array> ids = v8::Array::New(isolate, n);
  v8::Local<v8::Array> kinds = v8::Array::New(isolate, n);
  v8::Local<v8::Array> payloads = v8::Array::New(isolate, n);
  v8::Local<v8::Array> exceptions = v8::Array::New(isolate, n);
  for (int i = 0; i < n; ++i) {
    Completion& c = done[i];
    state->pending.erase(c.id);
    ids->Set(context, i, v8::Number::New(isolate, static_cast<double>(c.id))).Check();
    kinds->Set(context, i, v8::Integer::New(isolate, static_cast<int>(c.kind))).Check();
    exceptions->Set(context, i, v8::Boolean::New(isolate, c.is_exception)).Check();
    v8::Local<v8::Value> payload = c.kind == CompletionKind::kReceived
                                       ? Deserialize(isolate, context, c.message)
                                       : v8::Undefined(isolate).As<v8::Value>();
    payloads->Set(context, i, payload).Check();
  }
  if (state->pending.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(&state->inbox->async));
  v8::Local<v8::Value> argv[] = {ids, kinds, payloads, exceptions};
  v8::Local<v8::Object> recv = v8::Object::New(isolate);
  (void)node::MakeCallback(isolate, recv, state->handler.Get(isolate), 4, argv, {0, 0});
}

std::shared_ptr<Waiter> NewInboxWaiter(SharedState* state, uint64_t* id) {
  if (!state->async_open) {
    uv_loop_t* loop = node::GetCurrentEventLoop(state->isolate);
    state->inbox = std::make_shared<Inbox>();
    uv_async_init(loop, &state->inbox->async, OnInbox);
    state->inbox->async.data = state;
    uv_unref(reinterpret_cast<uv_handle_t*>(&state->inbox->async));
    state->async_open = true;
  }
  auto w = std::make_shared<Waiter>();
  w->inbox = state->inbox;
  w->id = *id = state->next_id++;
  return w;
}

// A blocked worker thread spins this long (about 50 us) before parking.
constexpr int kBlockedSpinIterations = kMaxSpinIterations;

// Blocks this thread (a worker outside tasklets) until `waiter` completes.
// Every 10 ms it calls a no-op JS function so that a termination requested
// by worker.terminate() becomes pending; then it withdraws and returns
// false (the caller returns into JS, which unwinds).
bool WaitBlocking(SharedState* state, SharedChannel* channel, const std::shared_ptr<Waiter>& w) {
  v8::Isolate* isolate = state->isolate;
  // A sender on a full buffer (or a receiver on an empty one) is usually
  // released within microseconds by the thread on the other core; waking a
  // parked thread costs ~25 us here, so spin briefly first.
  for (int i = 0; i < kBlockedSpinIterations; ++i) {
    if (w->done.load(std::memory_order_acquire)) return true;
    CpuRelax();
  }
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(w->mutex);
      if (w->cv.wait_for(lock, std::chrono::milliseconds(10), [&] { return w->done.load(std::memory_order_acquire); })) return true;
    }
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    v8::MaybeLocal<v8::Value> r = state->noop.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr);
    if (r.IsEmpty() && isolate->IsExecutionTerminating()) {
      if (!channel->Cancel(w.get())) {
        std::unique_lock<std::mutex> lock(w->mutex);
        w->cv.wait(lock, [&] { return w->done.load(std::memory_order_acquire); });
        if (w->result.kind == CompletionKind::kReceived) {
          channel->Unget(std::move(w->result.message), w->result.is_exception);
        }
      }
      return false;
    }
  }
}

// new SharedChannelBase(capacity | handle)
void JS_SharedChannelBase(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!CheckConstructCall(info)) return;
  std::shared_ptr<SharedChannel> channel;
  v8::Local<v8::SharedArrayBuffer> handle;
  if (info[0]->IsSharedArrayBuffer()) {
    handle = info[0].As<v8::SharedArrayBuffer>();
    std::shared_ptr<v8::BackingStore> store = handle->GetBackingStore();
    auto* holder = static_cast<Holder*>(store->Data());
    if (store->ByteLength() != 1 || holder == nullptr || holder->magic != kHolderMagic) {
      isolate->ThrowException(v8::Exception::TypeError(
          v8::String::NewFromUtf8Literal(isolate, "The \"handle\" argument is not a ThreadChannel handle")));
      return;
    }
    channel = holder->channel;
  } else {
    double capacity = info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : 0;
    if (!(capacity >= 0)) capacity = 0;
    channel = std::make_shared<SharedChannel>(capacity);
    auto* holder = new Holder();
    std::memset(holder->scratch, 0, sizeof(holder->scratch));
    holder->magic = kHolderMagic;
    holder->channel = channel;
    std::shared_ptr<v8::BackingStore> store =
        v8::SharedArrayBuffer::NewBackingStore(holder, 1, DeleteHolder, nullptr);
    handle = v8::SharedArrayBuffer::New(isolate, std::move(store));
  }
  new SharedChannelWrap(isolate, info.This(), handle, std::move(channel));
}

void JS_Handle(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(SharedChannelWrap::Unwrap(info)->handle.Get(info.GetIsolate()));
}

constexpr int kModeInbox = 1;
constexpr int kModeBlockThread = 2;
constexpr int kTerminated = 5;

// The waiter a call in `mode` queues when it must wait (none for mode 0).
// Only made after a first try without one found no partner or room.
std::shared_ptr<Waiter> WaiterFor(SharedState* state, int mode, uint64_t* id) {
  if (mode == kModeInbox) return NewInboxWaiter(state, id);
  if (mode == kModeBlockThread) return std::make_shared<Waiter>();
  return nullptr;
}

// A queued inbox waiter: remember it until its completion arrives (the
// inbox keeps the loop alive meanwhile) and return -id to JS.
void QueuedInInbox(const v8::FunctionCallbackInfo<v8::Value>& info, SharedState* state,
                   const std::shared_ptr<Waiter>& w, uint64_t id) {
  state->pending[id] = {SharedChannelWrap::Unwrap(info)->channel, w};
  uv_ref(reinterpret_cast<uv_handle_t*>(&state->inbox->async));
  info.GetReturnValue().Set(-static_cast<double>(id));
}

int ModeOf(v8::Local<v8::Value> value) {
  return value->IsNumber() ? static_cast<int>(value.As<v8::Number>()->Value()) : 0;
}

// _send(value, isException, mode, transfer?) -> op (0 done, 3 would block,
// 4 closed, 5 terminated) or, for mode 1 when queued, -id of the inbox
// waiter (ids start at 1).
// mode: 0 do not wait, 1 queue an inbox waiter, 2 block this thread.
void JS_SharedSend(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SharedState* state = StateOf(info);
  SharedChannel* ch = SharedChannelWrap::Unwrap(info)->channel.get();
  int mode = ModeOf(info[2]);
  bool is_exception = info[1]->IsTrue();
  Message message;
  Moved moved;
  if (!Serialize(info.GetIsolate(), info[0], info[3], &message, &moved)) return;  // thrown
  SharedOp op = ch->Send(message, is_exception, nullptr);
  if (op == SharedOp::kDone) Detach(moved);
  if (op != SharedOp::kWouldBlock || mode == 0) {
    info.GetReturnValue().Set(static_cast<int>(op));
    return;
  }
  uint64_t id = 0;
  std::shared_ptr<Waiter> w = WaiterFor(state, mode, &id);
  op = ch->Send(message, is_exception, w);
  if (op == SharedOp::kDone || op == SharedOp::kBlocked) Detach(moved);
  if (op == SharedOp::kBlocked && mode == kModeInbox) return QueuedInInbox(info, state, w, id);
  if (op == SharedOp::kBlocked && mode == kModeBlockThread) {
    if (!WaitBlocking(state, ch, w)) {
      info.GetReturnValue().Set(kTerminated);
      return;
    }
    op = w->result.kind == CompletionKind::kClosed ? SharedOp::kClosed : SharedOp::kDone;
  }
  info.GetReturnValue().Set(static_cast<int>(op));
}

// _receive(mode, out) -> like _send; a value lands in out[0], its
// isException flag in out[2].
void JS_SharedReceive(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  SharedState* state = StateOf(info);
  SharedChannel* ch = SharedChannelWrap::Unwrap(info)->channel.get();
  int mode = ModeOf(info[0]);
  Message message;
  bool is_exception = false;
  SharedOp op = ch->Receive(&message, &is_exception, nullptr);
  if (op == SharedOp::kWouldBlock && mode != 0) {
    uint64_t id = 0;
    std::shared_ptr<Waiter> w = WaiterFor(state, mode, &id);
    op = ch->Receive(&message, &is_exception, w);
    if (op == SharedOp::kBlocked && mode == kModeInbox) return QueuedInInbox(info, state, w, id);
    if (op == SharedOp::kBlocked && mode == kModeBlockThread) {
      if (!WaitBlocking(state, ch, w)) {
        info.GetReturnValue().Set(kTerminated);
        return;
      }
      if (w->result.kind == CompletionKind::kClosed) {
        info.GetReturnValue().Set(static_cast<int>(SharedOp::kClosed));
        return;
      }
      message = std::move(w->result.message);
      is_exception = w->result.is_exception;
      op = SharedOp::kDone;
    }
  }
  if (op == SharedOp::kDone && info[1]->IsArray()) {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    v8::Local<v8::Array> out = info[1].As<v8::Array>();
    out->Set(context, 0, Deserialize(isolate, context, message)).Check();
    out->Set(context, 2, v8::Boolean::New(isolate, is_exception)).Check();
  }
  info.GetReturnValue().Set(static_cast<int>(op));
}

// _cancel(id) -> true if the waiter was withdrawn before completing.
void JS_SharedCancel(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SharedState* state = StateOf(info);
  uint64_t id = info[0]->IsNumber() ? static_cast<uint64_t>(info[0].As<v8::Number>()->Value()) : 0;
  auto it = state->pending.find(id);
  bool removed = false;
  if (it != state->pending.end()) {
    removed = it->second.channel->Cancel(it->second.waiter.get());
    if (removed) state->pending.erase(it);
    if (state->pending.empty() && state->async_open) {
      uv_unref(reinterpret_cast<uv_handle_t*>(&state->inbox->async));
    }
  }
  info.GetReturnValue().Set(removed);
}

// _unget(value, isException): puts back a value whose receiver was killed.
void JS_SharedUnget(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Message message;
  Moved none;
  if (!Serialize(info.GetIsolate(), info[0], v8::Undefined(info.GetIsolate()), &message, &none)) return;
  SharedChannelWrap::Unwrap(info)->channel->Unget(std::move(message), info[1]->IsTrue());
}

void JS_SharedClose(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SharedChannelWrap::Unwrap(info)->channel->Close();
}
void JS_SharedOpen(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SharedChannelWrap::Unwrap(info)->channel->Open();
}

void JS_SharedState(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  SharedChannel* ch = SharedChannelWrap::Unwrap(info)->channel.get();
  v8::Local<v8::Value> values[] = {
      v8::Integer::New(isolate, ch->Balance()),
      v8::Boolean::New(isolate, ch->Closing()),
      v8::Boolean::New(isolate, ch->Closed()),
      v8::Number::New(isolate, static_cast<double>(ch->Buffered())),
  };
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 4));
}

// setSharedHandler(handler, noop)
void JS_SetSharedHandler(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SharedState* state = StateOf(info);
  if (!info[0]->IsFunction() || !info[1]->IsFunction()) return;
  state->handler.Reset(info.GetIsolate(), info[0].As<v8::Function>());
  state->noop.Reset(info.GetIsolate(), info[1].As<v8::Function>());
}

}  // namespace

void InitSharedChannelBinding(v8::Local<v8::Context> context, v8::Local<v8::Object> exports,
                              AddonData* data) {
  v8::Isolate* isolate = CurrentIsolate();
  data->shared = new SharedState();
  data->shared->isolate = isolate;
  data->shared->context.Reset(isolate, context);
  v8::Local<v8::External> external = NewExternal(isolate, data);
  v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(isolate, JS_SharedChannelBase, external);
  v8::Local<v8::String> name = v8::String::NewFromUtf8Literal(isolate, "SharedChannelBase");
  tmpl->SetClassName(name);
  tmpl->InstanceTemplate()->SetInternalFieldCount(1);
  SetMethod(isolate, tmpl, external, "_handle", JS_Handle);
  SetMethod(isolate, tmpl, external, "_send", JS_SharedSend);
  SetMethod(isolate, tmpl, external, "_receive", JS_SharedReceive);
  SetMethod(isolate, tmpl, external, "_cancel", JS_SharedCancel);
  SetMethod(isolate, tmpl, external, "_unget", JS_SharedUnget);
  SetMethod(isolate, tmpl, external, "_close", JS_SharedClose);
  SetMethod(isolate, tmpl, external, "_open", JS_SharedOpen);
  SetMethod(isolate, tmpl, external, "_state", JS_SharedState);
  exports->Set(context, name, tmpl->GetFunction(context).ToLocalChecked()).Check();
  v8::Local<v8::Function> set_handler =
      v8::FunctionTemplate::New(isolate, JS_SetSharedHandler, external)->GetFunction(context).ToLocalChecked();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "setSharedHandler"), set_handler).Check();
}

void DestroyShared(AddonData* data) {
  SharedState* state = data->shared;
  if (state == nullptr) return;
  // Withdraw this environment's waiters so that no value is handed to a
  // receiver that no longer exists; values already on their way go back.
  for (auto& [id, p] : state->pending) p.channel->Cancel(p.waiter.get());
  state->pending.clear();
  if (state->async_open) {
    state->inbox->Shutdown();
    // The Inbox (and its uv_async_t) is freed once the loop has closed the
    // handle; the close callback drops the last reference.
    auto* keep = new std::shared_ptr<Inbox>(state->inbox);
    state->inbox->async.data = keep;
    uv_close(reinterpret_cast<uv_handle_t*>(&state->inbox->async),
             [](uv_handle_t* h) { delete static_cast<std::shared_ptr<Inbox>*>(h->data); });
  }
  delete state;
  data->shared = nullptr;
}

}  // namespace tasklet
