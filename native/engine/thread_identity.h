// ThreadIdentity: V8's per-thread state that lives in C++ thread_local
// variables of the Node executable, found through its ELF symbol table, so
// that each fiber can carry its own copy and V8 treats it as its own thread.
// The one place where private V8 internals are touched (docs/internals.md).
#pragma once

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tasklet {

// The variables a fiber gets its own copy of (see kReviewed in the .cc file
// for every V8 TLS symbol and why it is swapped or shared).
enum IdentityVar : int {
  kThreadId,         // V8's ThreadId (0: V8 assigns the next one lazily)
  kCurrentIsolate,   // the entered isolate
  kPerThreadData,    // the isolate's PerIsolateThreadData of this thread
  kLocalHeap,        // the thread's LocalHeap (Node 26)
  kMarkingBarrier,   // the thread's marking barrier (set by Enter/Exit)
  kAssertData,       // per-thread assert scopes
  kStackStart,       // cached stack start (conservative stack scanning)
  kCodeRefsScope,    // wasm code reference scope chain
  kLayoutChange,     // heap verification of layout changes
  kIdentityVarCount
};

// Where the executable's thread_locals are, computed once per process from
// /proc/self/exe (immutable afterwards: shared by every environment).
class ThreadIdentity {
 public:
  // The layout for this process, or null with the reason in `error` when the
  // executable is not one the fiber engine knows (stripped, not x86-64, a V8
  // TLS symbol that is not on the reviewed list, ...).
  static const ThreadIdentity* Get(std::string* error);

  // Cross-checks the layout on the calling thread, which must have entered
  // `isolate` with the lock held: dlsym of exported TLS symbols, the TLS
  // block from dl_iterate_phdr, the displacement V8's own
  // ThreadId::GetCurrentThreadId() reads and the id it returns,
  // the current isolate and the PerIsolateThreadData layout.
  bool Verify(v8::Isolate* isolate, std::string* error) const;

  // V8's ThreadId of the calling thread (or fiber), as V8 reads it.
  int CurrentThreadId() const;

  // Copies this thread's values of the variables out, or in.
  void Save(uint64_t* out) const;
  void Restore(const uint64_t* in) const;
  // The values a brand-new OS thread would have, with `stack_top` as the
  // start of its stack.
  void Fresh(uint64_t* out, uintptr_t stack_top) const;

  struct Var {
    bool found = false;
    uint64_t size = 0;
    uint64_t initial = 0;  // the .tdata image's value, or 0
    intptr_t tp_offset = 0;
  };
  const Var& var(int i) const { return vars_[i]; }

 private:
  bool Parse(std::string* error);

  Var vars_[kIdentityVarCount];
  uint64_t block_offset_ = 0;       // thread pointer - start of the exe's block
  uint64_t thread_id_fn_vaddr_ = 0; // ThreadId::GetCurrentThreadId in .symtab
  // Exported TLS symbols (name, tp offset) for the dlsym cross-check.
  std::string exported_names_;      // NUL-separated
  std::basic_string<intptr_t> exported_offsets_;
};

}  // namespace tasklet
