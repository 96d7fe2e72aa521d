// The fiber engine: stacks (guarded or carved from slabs), the x86-64 stack
// switch, the identity handoff around v8::Unlocker, the load-time self-test
// and the end of a fiber.
#include "fiber.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

// tasklet_stack_swap(save, sp): pushes the callee-saved registers, MXCSR and
// the x87 control word on the current stack, stores rsp in *save, loads sp
// and pops the same from there (x86-64 System V). A new stack is prepared so
// that the pops lead to tasklet_stack_start with r12 = the argument and
// r13 = the function, which it calls and never returns from.
extern "C" void tasklet_stack_swap(void** save, void* sp);
extern "C" void tasklet_stack_start();
asm(R"(
  .text
  .globl tasklet_stack_swap
  .hidden tasklet_stack_swap
  .type tasklet_stack_swap,@function
  .p2align 4
tasklet_stack_swap:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $16, %rsp
  stmxcsr 8(%rsp)
  fnstcw 12(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr 8(%rsp)
  fldcw 12(%rsp)
  addq $16, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size tasklet_stack_swap,.-tasklet_stack_swap

  .globl tasklet_stack_start
  .hidden tasklet_stack_start
  .type tasklet_stack_start,@function
  .p2align 4
tasklet_stack_start:
  .cfi_startproc
  .cfi_undefined rip
  movq %r12, %rdi
  callq *%r13
  ud2
  .cfi_endproc
  .size tasklet_stack_start,.-tasklet_stack_start
)");

namespace tasklet {

namespace {

// An unguarded stack's lowest bytes stay zero unless something overran the
// stack: they are read (the kernel's shared zero page, no memory used) on
// every switch away from the fiber, never written.
constexpr size_t kCanaryWords = 8;
// Unguarded stacks are carved from slabs of at most 32 stacks or 64 MiB: one
// memory mapping each, whatever the kernel merges.
constexpr size_t kMaxStacksPerSlab = 32;
constexpr size_t kMaxSlabBytes = 64u << 20;

size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

// Guard pages in use by all fiber engines of the process (main thread and
// workers): vm.max_map_count is per process, so the budget is too. The one
// mutable static of the addon, and deliberately process-wide.
std::atomic<size_t> g_guard_pages{0};

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// vm.max_map_count, or the kernel's default when it cannot be read.
size_t MaxMapCount() {
  size_t n = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    unsigned long v = 0;
    if (std::fscanf(f, "%lu", &v) == 1 && v > 0) n = v;
    std::fclose(f);
  }
  return n;
}

// Lays out the first frame of a stack whose top is `top`: what
// tasklet_stack_swap pops, leading to tasklet_stack_start(fn, arg) with rsp
// 16-byte aligned at the call.
void* PrepareStack(uintptr_t top, void (*fn)(void*), void* arg) {
  uint64_t* sp = reinterpret_cast<uint64_t*>((top & ~uintptr_t{15}) - 88);
  uint32_t mxcsr;
  uint16_t fpu_cw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpu_cw));
  sp[0] = 0;
  sp[1] = uint64_t{mxcsr} | (uint64_t{fpu_cw} << 32);
  sp[2] = 0;                                      // r15
  sp[3] = 0;                                      // r14
  sp[4] = reinterpret_cast<uint64_t>(fn);         // r13
  sp[5] = reinterpret_cast<uint64_t>(arg);        // r12
  sp[6] = 0;                                      // rbx
  sp[7] = 0;                                      // rbp
  sp[8] = reinterpret_cast<uint64_t>(&tasklet_stack_start);
  sp[9] = 0;
  sp[10] = 0;
  return sp;
}

// AddressSanitizer keeps shadow state for stack memory it saw in use; a
// stack's memory must be clean when a fiber starts on it and when it is
// unmapped (the next mapping may reuse the addresses).
void ForgetStack(const void* low, size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(low, size);
#else
  (void)low;
  (void)size;
#endif
}

void EntryThunk(void* fiber) {
#if defined(__SANITIZE_ADDRESS__)
  // First thing on a new stack: before the call below (which is noreturn,
  // so ASan's no-return hook runs before it) ASan must know the switch ended.
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
  FiberEngine::Entry(static_cast<Fiber*>(fiber));
}

}  // namespace

// --- fibers ---------------------------------------------------------------------

Fiber::Fiber(FiberEngine* engine, uintptr_t low, size_t size, bool guarded, void* own_map,
             size_t own_map_size)
    : engine_(engine), guarded_(guarded), own_map_(own_map), own_map_size_(own_map_size) {
  stack_low_ = low;
  stack_size_ = size;
  ForgetStack(reinterpret_cast<const void*>(low), size);
  sp = PrepareStack(low + size, EntryThunk, this);
}

Fiber::~Fiber() {
  if (own_map_ == nullptr) return;
  ForgetStack(reinterpret_cast<const void*>(stack_low_), stack_size_);
  munmap(own_map_, own_map_size_);
  if (guarded_) g_guard_pages.fetch_sub(1, std::memory_order_relaxed);
}

bool Fiber::CanaryIntact() const {
  if (guarded_) return true;
  const volatile uint64_t* bottom = reinterpret_cast<const volatile uint64_t*>(stack_low_);
  uint64_t any = 0;
  for (size_t i = 0; i < kCanaryWords; i++) any |= bottom[i];
  return any == 0;
}

// --- the engine -------------------------------------------------------------------

FiberEngine::FiberEngine(v8::Isolate* isolate, v8::Local<v8::Context> context,
                         const ThreadIdentity* identity)
    : Engine(isolate, context), identity_(identity), guard_budget_(MaxMapCount() / 4) {
  // The environment thread's own stack (for AddressSanitizer's bookkeeping).
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      main_stack_low_ = reinterpret_cast<uintptr_t>(addr);
      main_stack_size_ = size;
    }
    pthread_attr_destroy(&attr);
  }
}

FiberEngine::~FiberEngine() {
  for (const Slab& slab : slabs_) {
    ForgetStack(slab.map, slab.size);
    munmap(slab.map, slab.size);
  }
}

bool FiberEngine::CarveFromSlab(size_t size, uintptr_t* low, int* error) {
  size_t per_slab = kMaxSlabBytes / size;
  if (per_slab > kMaxStacksPerSlab) per_slab = kMaxStacksPerSlab;
  if (per_slab == 0) per_slab = 1;
  if (slabs_.empty() || slabs_.back().used == slabs_.back().capacity || slabs_.back().stack_size != size) {
    size_t bytes = size * per_slab;
    void* map = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                     -1, 0);
    if (map == MAP_FAILED) {
      *error = errno;
      return false;
    }
    slabs_.push_back({map, bytes, 0, per_slab, size});
  }
  Slab& slab = slabs_.back();
  *low = reinterpret_cast<uintptr_t>(slab.map) + slab.used++ * size;
  return true;
}

std::unique_ptr<Carrier> FiberEngine::NewCarrier(int* error) {
  size_t page = PageSize();
  size_t size = RoundUp(stack_size(), page);
  if (g_guard_pages.fetch_add(1, std::memory_order_relaxed) < guard_budget_) {
    void* map = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map != MAP_FAILED) {
      if (mprotect(map, page, PROT_NONE) == 0) {
        uintptr_t low = reinterpret_cast<uintptr_t>(map) + page;
        return std::make_unique<Fiber>(this, low, size, true, map, size + page);
      }
      munmap(map, size + page);
    }
    guard_budget_ = 0;  // out of maps (or memory): this engine makes no more guard pages
  }
  g_guard_pages.fetch_sub(1, std::memory_order_relaxed);
  uintptr_t low = 0;
  if (!CarveFromSlab(size, &low, error)) return nullptr;
  return std::make_unique<Fiber>(this, low, size, false, nullptr, 0);
}

void FiberEngine::Swap(Fiber* from, Fiber* to) {
  identity_->Save(from ? from->identity : main_identity_);
  if (to != nullptr && !to->started) {
    to->started = true;
    identity_->Fresh(to->identity, to->stack_low() + to->stack_size());
  }
  identity_->Restore(to ? to->identity : main_identity_);
#if defined(__SANITIZE_ADDRESS__)
  void* fake_stack = nullptr;
  const void* bottom = reinterpret_cast<const void*>(to ? to->stack_low() : main_stack_low_);
  __sanitizer_start_switch_fiber(&fake_stack, bottom, to ? to->stack_size() : main_stack_size_);
#endif
  tasklet_stack_swap(from ? &from->sp : &main_sp_, to ? to->sp : main_sp_);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

void FiberEngine::SwapToMainForGood() {
  identity_->Restore(main_identity_);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(nullptr, reinterpret_cast<const void*>(main_stack_low_), main_stack_size_);
#endif
  void* discarded = nullptr;
  tasklet_stack_swap(&discarded, main_sp_);
  Fatal("an ended fiber was resumed");
}

void FiberEngine::Transfer(Carrier* self, Carrier* to, bool spin) {
  Fiber* from = static_cast<Fiber*>(self);
  if (from != nullptr && !from->CanaryIntact()) {
    Fatal("native code overran a tasklet's stack (no guard page: see docs/troubleshooting.md)");
  }
  // A fiber leaves the isolate before it unlocks and enters again after the
  // relock, so that V8's entry stack holds at most main's item and the
  // running fiber's, and Enter sets the heap's stack start to its stack.
  if (from != nullptr) isolate_->Exit();
  {
    v8::Unlocker unlocker(isolate_);
    Swap(from, static_cast<Fiber*>(to));
  }
  // Back on our stack with our identity: the Unlocker's destructor relocked
  // and restored our archived V8 thread state. Main stays entered, so the
  // heap's stack start still points at the last fiber's stack: set it.
  if (from != nullptr) {
    isolate_->Enter();
  } else {
    RecordStackStart();
  }
}

void FiberEngine::Entry(Fiber* self) {
  FiberEngine* engine = self->engine();
  engine->CarrierMain(self);  // returns on Command::kExit, lock released
  // This "thread" ends: V8 forgets its per-thread data, and End() frees the
  // stack once we are off it.
  engine->isolate_->DiscardThreadSpecificMetadata();
  engine->current_ = nullptr;
  engine->SwapToMainForGood();
}

void FiberEngine::End(Carrier* carrier) {
  Fiber* fiber = static_cast<Fiber*>(carrier);
  if (!fiber->started) return;
  fiber->command = Command::kExit;
  current_ = fiber;
  Transfer(nullptr, fiber, false);
}

// --- the load-time self-test --------------------------------------------------------
// A fiber that only runs native code: it takes the lock as a fresh V8
// thread, checks its ThreadId, runs a full GC (which must walk main's
// archived stack) and ends the way every fiber ends.

namespace {

struct SelfTestRun {
  FiberEngine* engine;
  v8::Isolate* isolate;
  const ThreadIdentity* identity;
  int fiber_thread_id = 0;
  bool fiber_isolate_ok = false;
};

}  // namespace

void FiberEngine::SelfTestEntry(void* arg) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);  // arrived on a new stack
#endif
  auto* run = static_cast<SelfTestRun*>(arg);
  {
    v8::Locker locker(run->isolate);
    v8::Isolate::Scope isolate_scope(run->isolate);
    v8::HandleScope handle_scope(run->isolate);
    run->fiber_thread_id = run->identity->CurrentThreadId();
    run->fiber_isolate_ok = v8::Isolate::GetCurrent() == run->isolate;
    run->isolate->LowMemoryNotification();
  }
  run->isolate->DiscardThreadSpecificMetadata();
  run->engine->SwapToMainForGood();
}

bool FiberEngine::SelfTest(std::string* reason) {
  constexpr size_t kSize = 256 * 1024;
  void* map = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
  if (map == MAP_FAILED) {
    *reason = "self-test: no memory for a stack";
    return false;
  }
  // A fiber like any other (unmapped when it goes out of scope), started on
  // the test's entry instead of the carrier loop.
  Fiber fiber(this, reinterpret_cast<uintptr_t>(map), kSize, false, map, kSize);
  SelfTestRun run{this, isolate_, identity_};
  fiber.sp = PrepareStack(fiber.stack_low() + kSize, SelfTestEntry, &run);
  int main_id = identity_->CurrentThreadId();
  {
    v8::Unlocker unlocker(isolate_);
    Swap(nullptr, &fiber);
  }
  RecordStackStart();  // the fiber's Isolate::Scope made its stack the start
  if (run.fiber_thread_id <= 0 || run.fiber_thread_id == main_id) {
    *reason = "self-test: a fiber did not get a V8 thread id of its own";
    return false;
  }
  if (!run.fiber_isolate_ok) {
    *reason = "self-test: the fiber did not see the isolate as current";
    return false;
  }
  if (identity_->CurrentThreadId() != main_id || v8::Isolate::GetCurrent() != isolate_) {
    *reason = "self-test: main's V8 identity did not come back";
    return false;
  }
  return true;
}

std::unique_ptr<FiberEngine> FiberEngine::Create(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                                 std::string* reason) {
  const ThreadIdentity* identity = ThreadIdentity::Get(reason);
  if (identity == nullptr || !identity->Verify(isolate, reason)) return nullptr;
  std::unique_ptr<FiberEngine> engine(new FiberEngine(isolate, context, identity));
  if (!engine->SelfTest(reason)) return nullptr;
  return engine;
}

}  // namespace tasklet
