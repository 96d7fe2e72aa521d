// Engine: one per Node environment (main thread or worker). Owns the strands,
// the switch protocol (lock handoff between main and strands, and strand to
// strand directly), per-tasklet async context and teardown.
#pragma once

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "baton.h"
#include "strand.h"
#include "v8_compat.h"

namespace tasklet {

// Internal fields of every tasklet object (instances of the native base class
// that the TypeScript Tasklet extends).
constexpr int kStrandField = 0;   // aligned pointer: Strand*, or null
constexpr int kContextField = 1;  // saved async context frame (Node 22+)
constexpr int kTaskletFieldCount = 2;

// Stack left below V8's JS stack limit for native code (Node's C++, libuv,
// OpenSSL, the GC) called from JavaScript on a strand: an eighth of the
// stack, at least 64 KiB and at most 160 KiB.
constexpr size_t kMinStackHeadroom = 64 * 1024;
constexpr size_t kMaxStackHeadroom = 160 * 1024;
constexpr size_t kDefaultStackSize = 1024 * 1024;
constexpr size_t kMinStackSize = 256 * 1024;

enum class SwitchResult {
  kResumed,     // the caller was switched back to normally
  kTerminated,  // the caller must unwind: TerminateExecution() is pending
  kNoStrand,    // no strand could be created; nothing happened
};

class Engine {
 public:
  Engine(v8::Isolate* isolate, v8::Local<v8::Context> context);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  v8::Isolate* isolate() const { return isolate_; }

  // The JS function run on a strand for each tasklet: runner(tasklet) runs
  // the tasklet's body and returns the object to hand off to next (a tasklet)
  // or null for main.
  void SetRunner(v8::Local<v8::Function> runner);
  void SetStackSize(size_t bytes) { stack_size_ = bytes; }
  size_t stack_size() const { return stack_size_; }
  // Whether switches save and restore the async context frame (V8's
  // continuation-preserved embedder data); off where Node does not use it.
  void SetTrackContextFrame(bool on) { track_frame_ = on; }

  // Gives the isolate to `target` (empty: main; a tasklet object without a
  // strand is started on a pooled one) and waits until someone switches back
  // to the caller. `spin`: the caller expects to run again soon and may spin
  // briefly instead of parking at once.
  // CAUTION: runs other tasklets' JavaScript on other threads before it
  // returns, so anything can happen meanwhile, GC included; may never return
  // to a caller that is torn down (it then returns kTerminated).
  SwitchResult SwitchTo(v8::Local<v8::Object> target, bool spin);

  // Unwinds every suspended tasklet without running user code, then ends
  // and joins every strand. Main thread only, with the lock held.
  // CAUTION: switches to each suspended strand in turn.
  void Teardown();

  // Captures the current async context frame for a new tasklet object.
  void InitTaskletFields(v8::Local<v8::Object> tasklet);

  // Body of a strand's thread (called by Strand). Takes the isolate lock.
  void StrandMain(Strand* self);

  // Counters for tests and leak checks.
  size_t strand_count() const { return strands_.size(); }
  size_t idle_count() const { return idle_.size(); }
  // Waiters spinning (or holding a slot to) right now; 0 once all wait parked.
  int spinner_count() const { return spinners_.load(std::memory_order_relaxed); }

 private:
  static Strand* StrandOf(v8::Local<v8::Object> tasklet);
  Strand* Acquire(int* error);
  void Bind(Strand* strand, v8::Local<v8::Object> tasklet);
  void Unbind(Strand* strand);
  // Hands the lock from `self` (null: main) to `to` (null: main) and waits
  // for `self` to be resumed. CAUTION: runs other threads' JS meanwhile.
  void Transfer(Strand* self, Strand* to, bool spin);
  // Runs the strand's bound tasklet to its end; returns whom to run next
  // (null: main; `self` again when the next tasklet is new and bound here).
  Strand* RunBound(Strand* self);
  Strand* TargetOf(v8::Local<v8::Value> next, Strand* self);
  void SaveContext(Strand* self);
  void RestoreContext(Strand* self);

  v8::Isolate* isolate_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> runner_;
  v8::Global<FrameValue> main_frame_;
  Baton main_baton_;
  std::atomic<int> spinners_{0};
  Strand* current_ = nullptr;  // null: main holds the isolate
  std::vector<std::unique_ptr<Strand>> strands_;
  std::vector<Strand*> idle_;
  size_t stack_size_ = kDefaultStackSize;
  bool tearing_down_ = false;
  bool propagate_termination_ = false;
  bool track_frame_ = true;
};

}  // namespace tasklet
