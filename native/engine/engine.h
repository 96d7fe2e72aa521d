// Engine: one per Node environment (main thread or worker). The switch
// protocol above the carriers: which carrier runs which tasklet, direct
// tasklet-to-tasklet handoff, per-tasklet async context and teardown. How a
// carrier holds a stack and how control passes between carriers is the
// implementation's: StrandEngine (an OS thread per carrier, strand.h) or
// FiberEngine (stacks switched on the environment's own thread, fiber.h).
#pragma once

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "v8_compat.h"

namespace tasklet {

// A broken invariant: prints "tasklet: fatal: <what>" and aborts.
[[noreturn]] void Fatal(const char* what);

// Internal fields of every tasklet object (instances of the native base class
// that the TypeScript Tasklet extends).
constexpr int kCarrierField = 0;  // aligned pointer: Carrier*, or null
constexpr int kContextField = 1;  // saved async context frame (Node 22+)
constexpr int kTaskletFieldCount = 2;

// Stack left below V8's JS stack limit for native code (Node's C++, libuv,
// OpenSSL, the GC) called from JavaScript on a carrier: an eighth of the
// stack, at least 64 KiB and at most 160 KiB.
constexpr size_t kMinStackHeadroom = 64 * 1024;
constexpr size_t kMaxStackHeadroom = 160 * 1024;
constexpr size_t kDefaultStackSize = 1024 * 1024;
constexpr size_t kMinStackSize = 256 * 1024;

enum class SwitchResult {
  kResumed,     // the caller was switched back to normally
  kTerminated,  // the caller must unwind: TerminateExecution() is pending
  kNoCarrier,   // no carrier (stack or thread) could be made; nothing happened
};

// What a carrier is asked to do when control passes to it.
enum class Command : uint8_t {
  kStart,      // run the bound tasklet from its beginning
  kResume,     // return from the SwitchTo() it is suspended in
  kTerminate,  // unwind the suspended tasklet without running user code
  kExit,       // leave the pool and end
};

// A stack that runs one tasklet at a time: a strand or a fiber.
class Carrier {
 public:
  virtual ~Carrier() = default;
  Carrier(const Carrier&) = delete;
  Carrier& operator=(const Carrier&) = delete;

  // The lowest usable address of the stack and its size, once known.
  uintptr_t stack_low() const { return stack_low_; }
  size_t stack_size() const { return stack_size_; }

  Command command = Command::kStart;
  // The tasklet object this carrier runs; empty while pooled.
  v8::Global<v8::Object> tasklet;

 protected:
  Carrier() = default;
  uintptr_t stack_low_ = 0;
  size_t stack_size_ = 0;
};

class Engine {
 public:
  Engine(v8::Isolate* isolate, v8::Local<v8::Context> context);
  virtual ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  v8::Isolate* isolate() const { return isolate_; }
  // "strand" or "fiber".
  virtual const char* name() const = 0;

  // The JS function run on a carrier for each tasklet: runner(tasklet) runs
  // the tasklet's body and returns the object to hand off to next (a tasklet)
  // or null for main.
  void SetRunner(v8::Local<v8::Function> runner);
  void SetStackSize(size_t bytes) { stack_size_ = bytes; }
  size_t stack_size() const { return stack_size_; }
  // Whether switches save and restore the async context frame (V8's
  // continuation-preserved embedder data); off where Node does not use it.
  void SetTrackContextFrame(bool on) { track_frame_ = on; }

  // Gives the isolate to `target` (empty: main; a tasklet object without a
  // carrier is started on a pooled one) and returns when someone switches
  // back to the caller. `spin`: the caller expects to run again soon (a
  // strand may spin briefly instead of parking at once).
  // CAUTION: runs other tasklets' JavaScript before it returns, so anything
  // can happen meanwhile, GC included; may never return to a caller that is
  // torn down (it then returns kTerminated).
  SwitchResult SwitchTo(v8::Local<v8::Object> target, bool spin);

  // Unwinds every suspended tasklet without running user code, then ends
  // every carrier. Environment thread only, with the lock held.
  // CAUTION: switches to each suspended carrier in turn.
  void Teardown();

  // Captures the current async context frame for a new tasklet object.
  void InitTaskletFields(v8::Local<v8::Object> tasklet);

  // Counters for tests and leak checks.
  size_t carrier_count() const { return carriers_.size(); }
  size_t idle_count() const { return idle_.size(); }
  // Waiters spinning (or holding a slot to) right now; 0 once all wait parked.
  virtual int spinner_count() const { return 0; }

 protected:
  // The body of a carrier: takes the isolate lock, runs bound tasklets until
  // told to exit, and returns with the lock released.
  // CAUTION: runs JavaScript; returns only on Command::kExit.
  void CarrierMain(Carrier* self);
  // Makes a new carrier (owned by the caller), or null with an errno value.
  virtual std::unique_ptr<Carrier> NewCarrier(int* error) = 0;
  // Hands the lock from `self` (null: the environment's thread, "main") to
  // `to` (null: main) and returns when someone hands it back to `self`.
  // CAUTION: other tasklets run meanwhile.
  virtual void Transfer(Carrier* self, Carrier* to, bool spin) = 0;
  // Ends a pooled carrier (Command::kExit) and frees it. With the lock held.
  virtual void End(Carrier* carrier) = 0;
  // Points the heap's stack start (where conservative scanning of the
  // stack ends: Node 20's CppHeap does it in every full GC) at the calling
  // carrier's or main's own stack; call it right after relocking. On V8 11
  // only Isolate::Enter sets it, so whoever relocks after another carrier
  // entered would be scanned from its stack pointer up to that carrier's
  // stack top: a SIGSEGV when unmapped memory lies between. The caller is
  // entered, so this is a nested Enter/Exit (a few dozen instructions).
  void RecordStackStart();

  v8::Isolate* isolate_;
  Carrier* current_ = nullptr;  // null: main holds the isolate

 private:
  static Carrier* CarrierOf(v8::Local<v8::Object> tasklet);
  Carrier* Acquire(int* error);
  void Bind(Carrier* carrier, v8::Local<v8::Object> tasklet);
  void Unbind(Carrier* carrier);
  // Runs the carrier's bound tasklet to its end; returns whom to run next
  // (null: main; `self` again when the next tasklet is new and bound here).
  Carrier* RunBound(Carrier* self);
  Carrier* TargetOf(v8::Local<v8::Value> next, Carrier* self);
  void SaveContext(Carrier* self);
  void RestoreContext(Carrier* self);
  // Scavenges keep the context frame in gc_frame_ (see engine.cc).
  static void HoldFrameForGC(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags, void* data);
  static void PutFrameBackAfterGC(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags, void* data);

  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> runner_;
  v8::Global<FrameValue> main_frame_;
  v8::Global<FrameValue> gc_frame_;
  int gc_depth_ = 0;
  std::vector<std::unique_ptr<Carrier>> carriers_;
  std::vector<Carrier*> idle_;
  size_t stack_size_ = kDefaultStackSize;
  bool tearing_down_ = false;
  bool propagate_termination_ = false;
  bool track_frame_ = true;
};

}  // namespace tasklet
