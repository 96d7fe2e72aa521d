// The fiber engine (the default where its load-time checks pass): each
// carrier is a stack of its own on the environment's thread, with its own
// copy of V8's thread_local identity (thread_identity.h), so V8 treats it as
// a thread of its own; the isolate passes between fibers with
// v8::Unlocker/v8::Locker exactly as between threads while a few
// instructions swap the native stacks. No OS thread is involved, so a switch
// costs the same on a busy machine.
#pragma once

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "thread_identity.h"

namespace tasklet {

class FiberEngine;

// A fiber: a stack (with a guard page below it while the memory-map budget
// allows, else lowest bytes that must stay zero) and the saved identity and
// stack pointer of the tasklet it carries.
class Fiber final : public Carrier {
 public:
  Fiber(FiberEngine* engine, uintptr_t low, size_t size, bool guarded, void* own_map, size_t own_map_size);
  ~Fiber() override;

  FiberEngine* engine() const { return engine_; }
  bool guarded() const { return guarded_; }
  // Whether the bottom of an unguarded stack is untouched (all zero).
  bool CanaryIntact() const;

  void* sp = nullptr;      // saved stack pointer while switched out
  bool started = false;    // has run on its stack (its identity is set)
  uint64_t identity[kIdentityVarCount] = {};

 private:
  FiberEngine* engine_;
  bool guarded_;
  void* own_map_;          // its own mapping (guarded fibers), else in a slab
  size_t own_map_size_;
};

class FiberEngine final : public Engine {
 public:
  // Makes the fiber engine for the calling environment's thread (entered,
  // lock held) after checking everything it relies on: the executable's
  // layout and reviewed TLS list, the cross-checks, and a live self-test (a
  // fiber gets a fresh V8 ThreadId, survives a full GC, main's identity
  // comes back). Null with the reason when any check fails.
  // CAUTION: runs a full GC.
  static std::unique_ptr<FiberEngine> Create(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                             std::string* reason);
  ~FiberEngine() override;

  const char* name() const override { return "fiber"; }

  // The body of every fiber, entered from the stack-switch trampoline.
  // CAUTION: runs JavaScript; never returns (it switches away at the end).
  [[noreturn]] static void Entry(Fiber* self);

 private:
  FiberEngine(v8::Isolate* isolate, v8::Local<v8::Context> context, const ThreadIdentity* identity);
  std::unique_ptr<Carrier> NewCarrier(int* error) override;
  void Transfer(Carrier* self, Carrier* to, bool spin) override;
  void End(Carrier* carrier) override;
  // Switches stacks from `from` (null: main) to `to` (null: main), handing
  // over the identity; the lock must already be released.
  void Swap(Fiber* from, Fiber* to);
  // Hands the isolate's thread back to main for good: the end of a fiber
  // (its lock released), whose stack is freed once main runs again.
  [[noreturn]] void SwapToMainForGood();
  bool SelfTest(std::string* reason);
  static void SelfTestEntry(void* run);
  bool CarveFromSlab(size_t size, uintptr_t* low, int* error);

  const ThreadIdentity* identity_;
  uint64_t main_identity_[kIdentityVarCount] = {};
  void* main_sp_ = nullptr;
  uintptr_t main_stack_low_ = 0;
  size_t main_stack_size_ = 0;
  // Guard pages cost a memory mapping each (the stack's mapping is split in
  // two); the process's fibers get at most `guard_budget_` of them in all
  // (vm.max_map_count / 4), so that V8 and Node keep most of the maps
  // (DESIGN.md: with 32,700 guarded stacks, V8's next mmap failed and the
  // process died).
  size_t guard_budget_ = 0;
  struct Slab {
    void* map;
    size_t size;
    size_t used;
    size_t capacity;
    size_t stack_size;
  };
  std::vector<Slab> slabs_;
};

}  // namespace tasklet
