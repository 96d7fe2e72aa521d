// Engine: the switch protocol shared by both engines. Exactly one carrier
// (or main) holds the isolate's v8::Locker; a switch is the Unlocker on the
// side that leaves, Transfer() to the side that enters, and the relock there.
#include "engine.h"
#include "v8_compat.h"

#include <cstdio>
#include <cstdlib>

namespace tasklet {

void Fatal(const char* what) {
  std::fprintf(stderr, "tasklet: fatal: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

Engine::Engine(v8::Isolate* isolate, v8::Local<v8::Context> context)
    : isolate_(isolate), context_(isolate, context) {
#if V8_MAJOR_VERSION >= 12
  isolate_->AddGCPrologueCallback(HoldFrameForGC, this, v8::kGCTypeScavenge);
  isolate_->AddGCEpilogueCallback(PutFrameBackAfterGC, this, v8::kGCTypeScavenge);
#endif
}

Engine::~Engine() {
  if (!carriers_.empty()) Fatal("engine destroyed with live carriers");
#if V8_MAJOR_VERSION >= 12
  isolate_->RemoveGCPrologueCallback(HoldFrameForGC, this);
  isolate_->RemoveGCEpilogueCallback(PutFrameBackAfterGC, this);
#endif
}

void Engine::SetRunner(v8::Local<v8::Function> runner) {
  runner_.Reset(isolate_, runner);
}

Carrier* Engine::CarrierOf(v8::Local<v8::Object> tasklet) {
  return static_cast<Carrier*>(
      GetFieldPointer(tasklet, kCarrierField));
}

Carrier* Engine::Acquire(int* error) {
  if (!idle_.empty()) {
    Carrier* s = idle_.back();
    idle_.pop_back();
    return s;
  }
  std::unique_ptr<Carrier> carrier = NewCarrier(error);
  if (carrier == nullptr) return nullptr;
  carriers_.push_back(std::move(carrier));
  return carriers_.back().get();
}

void Engine::Bind(Carrier* carrier, v8::Local<v8::Object> tasklet) {
  carrier->tasklet.Reset(isolate_, tasklet);
  SetFieldPointer(tasklet, kCarrierField, carrier);
  carrier->command = Command::kStart;
}

void Engine::Unbind(Carrier* carrier) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Object> tasklet = carrier->tasklet.Get(isolate_);
  SetFieldPointer(tasklet, kCarrierField, nullptr);
  carrier->tasklet.Reset();
}

// --- async context --------------------------------------------------------
// AsyncLocalStorage on Node 22.7+ (flag) and 24+ (default) keeps its state in
// V8's continuation-preserved embedder data, which belongs to the isolate,
// not to the thread: each participant saves it when it leaves and restores
// it when it comes back. On V8 11 (Node 20) it lives on the Context and Node
// does not use it; the hooks-based AsyncLocalStorage is handled in JS.

void Engine::InitTaskletFields(v8::Local<v8::Object> tasklet) {
  SetFieldPointer(tasklet, kCarrierField, nullptr);
  if (track_frame_) tasklet->SetInternalField(kContextField, GetContextFrame(isolate_));
}

void Engine::SaveContext(Carrier* self) {
  if (!track_frame_) return;
  v8::Local<FrameValue> frame = GetContextFrame(isolate_);
  if (self == nullptr) {
    main_frame_.Reset(isolate_, frame);
  } else {
    self->tasklet.Get(isolate_)->SetInternalField(kContextField, frame);
  }
}

void Engine::RestoreContext(Carrier* self) {
  if (!track_frame_) return;
  if (self == nullptr) {
    if (main_frame_.IsEmpty()) return;
    SetContextFrame(isolate_, main_frame_.Get(isolate_));
    main_frame_.Reset();
  } else {
    v8::Local<v8::Object> tasklet = self->tasklet.Get(isolate_);
    SetContextFrame(isolate_, GetFieldFrame(tasklet, kContextField));
  }
}

// V8 (12 to 14 at least) visits the isolate's one context-frame slot once for
// the running thread and once more for every thread it archived (each
// suspended carrier: Unlocker). A scavenge that meets the slot twice while it
// holds a young frame copies the copy and corrupts the heap (SIGSEGV later, or
// a fatal "invalid map" in Scavenger::Process; any Node whose AsyncLocalStorage
// uses the frame, both engines). So during a scavenge the frame waits in a
// Global (visited once) and the slot holds undefined.

void Engine::HoldFrameForGC(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  Engine* self = static_cast<Engine*>(data);
  if (self->gc_depth_++ > 0) return;
  v8::HandleScope scope(isolate);
  self->gc_frame_.Reset(isolate, GetContextFrame(isolate));
  SetContextFrame(isolate, v8::Undefined(isolate));
}

void Engine::PutFrameBackAfterGC(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  Engine* self = static_cast<Engine*>(data);
  if (self->gc_depth_ == 0 || --self->gc_depth_ > 0) return;
  v8::HandleScope scope(isolate);
  SetContextFrame(isolate, self->gc_frame_.Get(isolate));
  self->gc_frame_.Reset();
}

// --- the switch -----------------------------------------------------------

SwitchResult Engine::SwitchTo(v8::Local<v8::Object> target, bool spin) {
  Carrier* self = current_;
  Carrier* to = nullptr;
  if (!target.IsEmpty()) {
    to = CarrierOf(target);
    if (to == nullptr) {
      int error = 0;
      to = Acquire(&error);
      if (to == nullptr) return SwitchResult::kNoCarrier;
      Bind(to, target);
    } else {
      to->command = Command::kResume;
    }
  }
  if (to == self) return SwitchResult::kResumed;

  SaveContext(self);
  current_ = to;
  Transfer(self, to, spin);
  // Resumed: whoever switched back here has set current_ = self.
  RestoreContext(self);

  if (self != nullptr && self->command == Command::kTerminate) {
    isolate_->TerminateExecution();
    return SwitchResult::kTerminated;
  }
  if (self == nullptr && propagate_termination_) {
    propagate_termination_ = false;
    isolate_->TerminateExecution();
    return SwitchResult::kTerminated;
  }
  return SwitchResult::kResumed;
}

Carrier* Engine::TargetOf(v8::Local<v8::Value> next, Carrier* self) {
  if (!next->IsObject()) return nullptr;
  v8::Local<v8::Object> object = next.As<v8::Object>();
  if (object->InternalFieldCount() != kTaskletFieldCount) return nullptr;
  Carrier* carrier = CarrierOf(object);
  if (carrier == nullptr) {
    // A tasklet that never ran starts right here, on this same carrier.
    Bind(self, object);
    return self;
  }
  carrier->command = Command::kResume;
  return carrier;
}

Carrier* Engine::RunBound(Carrier* self) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::Context::Scope context_scope(context);
  RestoreContext(self);

  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> argv[] = {self->tasklet.Get(isolate_)};
  v8::MaybeLocal<v8::Value> result =
      runner_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 1, argv);
  Unbind(self);

  if (try_catch.HasTerminated()) {
    isolate_->CancelTerminateExecution();
    // Termination we did not ask for comes from Node (worker.terminate(),
    // process exit): main must stop running JavaScript too.
    if (!tearing_down_) propagate_termination_ = true;
    return nullptr;
  }
  v8::Local<v8::Value> next;
  if (!result.ToLocal(&next)) {
    // The runner catches everything the tasklet throws; reaching here means
    // it failed itself (e.g. stack exhausted while reporting).
    v8::String::Utf8Value text(isolate_, try_catch.Exception());
    std::fprintf(stderr, "tasklet: internal error in the runner: %s\n",
                 *text ? *text : "(unprintable)");
    return nullptr;
  }
  return TargetOf(next, self);
}

void Engine::CarrierMain(Carrier* self) {
  v8::Locker locker(isolate_);
  isolate_->Enter();
  // V8 sets a new thread's JS stack limit ~1 MB below the position where it
  // first takes the lock; a smaller stack needs its own limit or overflow
  // becomes a segfault instead of a RangeError.
  if (self->stack_low() != 0) {
    size_t headroom = self->stack_size() / 8;
    if (headroom < kMinStackHeadroom) headroom = kMinStackHeadroom;
    if (headroom > kMaxStackHeadroom) headroom = kMaxStackHeadroom;
    isolate_->SetStackLimit(self->stack_low() + headroom);
  }
  for (;;) {
    Carrier* next = RunBound(self);
    if (next == self) continue;  // the next tasklet starts on this carrier
    idle_.push_back(self);
    current_ = next;
    {
      // Relocking restores V8's debugger state, which walks the stack and
      // needs a handle scope when a debugger is active (seen on Node 24).
      v8::HandleScope pool_scope(isolate_);
      Transfer(self, next, false);
    }
    if (self->command == Command::kExit) break;
  }
  isolate_->Exit();
}

void Engine::RecordStackStart() {
  isolate_->Enter();
  isolate_->Exit();
}

void Engine::Teardown() {
  if (current_ != nullptr) Fatal("teardown while a tasklet holds the isolate");
  tearing_down_ = true;
  // Node tears down inside a SealHandleScope; when another carrier takes the
  // lock, V8 archives this thread's state for real and may create handles
  // while doing so (seen on Node 24), so every handoff below needs a scope.
  v8::HandleScope scope(isolate_);
  for (auto& carrier : carriers_) {
    if (carrier->tasklet.IsEmpty()) continue;
    // Suspended tasklet: resume it with a request to terminate; its JS
    // frames unwind without running catch or finally, its carrier goes back
    // to the pool and hands the isolate back here.
    carrier->command = Command::kTerminate;
    current_ = carrier.get();
    Transfer(nullptr, carrier.get(), true);
  }
  for (auto& carrier : carriers_) End(carrier.get());
  carriers_.clear();
  idle_.clear();
  runner_.Reset();
  main_frame_.Reset();
  context_.Reset();
}

}  // namespace tasklet
