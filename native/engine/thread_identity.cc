// ThreadIdentity: parses the executable's PT_TLS segment and symbol tables
// (x86-64, glibc, TLS variant II: a variable of the executable lives at
// thread pointer - roundup(memsz, align) + st_value), checks every V8 TLS
// symbol against the reviewed list below, and swaps the identity variables.
#include "thread_identity.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

namespace tasklet {

namespace {

enum class Review : uint8_t { kSwap, kShared };

struct Reviewed {
  const char* symbol;  // mangled
  Review review;
  int var;             // IdentityVar for kSwap, -1 for kShared
  const char* reason;
};

// Every thread_local of V8 found in the official Node 20, 22, 24 and 26 x64
// binaries. A V8 TLS symbol missing here makes the fiber engine refuse to
// load (it might be per-thread state a fiber needs its own copy of).
// Swapped: each was found necessary by leaving it shared in the probe
// (../shared/reference/fiber-probe/results/noswap), or is nearly free.
// Shared: the value is per OS thread (right for fibers of one thread), or it
// is only non-default inside a scope that never spans a call into
// JavaScript, so it holds its default at every switch.
constexpr Reviewed kReviewed[] = {
    {"_ZN2v88internal12_GLOBAL__N_19thread_idE", Review::kSwap, kThreadId,
     "V8's ThreadId: the key of the archived thread state (shared: the Locker adopts main's state)"},
    {"_ZN2v88internal18g_current_isolate_E", Review::kSwap, kCurrentIsolate,
     "the entered isolate, set by Enter/Exit"},
    {"_ZN2v88internal34g_current_per_isolate_thread_data_E", Review::kSwap, kPerThreadData,
     "PerIsolateThreadData {isolate, ThreadId, stack limit}"},
    {"_ZN2v88internal12_GLOBAL__N_118current_local_heapE", Review::kSwap, kLocalHeap,
     "the thread's LocalHeap (Node 20-24 name)"},
    {"_ZN2v88internal21g_current_local_heap_E", Review::kSwap, kLocalHeap,
     "the thread's LocalHeap (Node 26 name)"},
    {"_ZN2v88internal12_GLOBAL__N_123current_marking_barrierE", Review::kSwap, kMarkingBarrier,
     "set by Enter/Exit; shared: a null barrier during incremental marking"},
    {"_ZN2v88internal12_GLOBAL__N_130current_per_thread_assert_dataE", Review::kSwap, kAssertData,
     "per-thread assert scopes (DisallowGarbageCollection and friends)"},
    {"_ZN2v84base12_GLOBAL__N_118thread_stack_startE", Review::kSwap, kStackStart,
     "where conservative stack scanning starts; shared: SIGSEGV in IteratePointersInStack"},
    {"_ZN2v88internal4wasm12_GLOBAL__N_123current_code_refs_scopeE", Review::kSwap, kCodeRefsScope,
     "wasm::WasmCodeRefScope chain of the thread"},
    {"_ZN2v88internal12_GLOBAL__N_136pending_layout_change_object_addressE", Review::kSwap, kLayoutChange,
     "heap verification of object layout changes"},
    {"_ZZN2v84base2OS18GetCurrentThreadIdEvE2id", Review::kShared, -1,
     "cache of the OS thread id: fibers run on the same OS thread"},
    {"_ZGVZN2v84base2OS18GetCurrentThreadIdEvE2id", Review::kShared, -1,
     "guard of that cache"},
    {"_ZN2v88internal12_GLOBAL__N_119tls_singleton_takenE", Review::kShared, -1,
     "assembler buffer singleton: taken and returned within one code assembly"},
    {"_ZN2v88internal12_GLOBAL__N_121tls_singleton_storageE", Review::kShared, -1,
     "storage of that singleton"},
    {"_ZN2v88internal12_GLOBAL__N_1L19tls_singleton_takenE", Review::kShared, -1,
     "assembler buffer singleton (internal linkage name)"},
    {"_ZN2v88internal12_GLOBAL__N_1L21tls_singleton_storageE", Review::kShared, -1,
     "storage of that singleton (internal linkage name)"},
    {"_ZN2v88internal12trap_handler21g_thread_in_wasm_codeE", Review::kShared, -1,
     "set only while wasm code runs; cleared on every call out to JavaScript"},
    {"_ZN2v88internal12trap_handler16TrapHandlerGuard10is_active_E", Review::kShared, -1,
     "scope flag around trap handler state changes"},
    {"_ZN2v88internal19RwxMemoryWriteScope31code_space_write_nesting_level_E", Review::kShared, -1,
     "code-space write scope depth: closed before JavaScript runs"},
    {"_ZN2v88internal4wasm19CodeSpaceWriteScope12scope_depth_E", Review::kShared, -1,
     "wasm code-space write scope depth: closed before JavaScript runs"},
    {"_ZN2v88internal4wasmL18wasm_traces_objectE", Review::kShared, -1,
     "wasm tracing buffer (--trace-wasm)"},
    {"_ZN2v88internal6maglev21thread_graph_labellerE", Review::kShared, -1,
     "Maglev graph printer of a compilation"},
    {"_ZN2v84base18ContextualVariableINS_8internal8compiler10turboshaft7TracingES5_E4top_E",
     Review::kShared, -1, "Turboshaft compilation scope"},
    {"_ZN2v84base18ContextualVariableINS_8internal8compiler10turboshaft12PipelineDataES5_E4top_E",
     Review::kShared, -1, "Turboshaft compilation scope"},
    {"_ZN2v84base18ContextualVariableINS_8internal8compiler10turboshaft24TypeInferenceReducerArgsES5_E4top_E",
     Review::kShared, -1, "Turboshaft compilation scope"},
    {"_ZN2v84base18ContextualVariableINS_8internal19StackAllocatedCheckEKbE4top_E", Review::kShared, -1,
     "scoped check flag, closed before JavaScript runs"},
};

constexpr bool kRequired[kIdentityVarCount] = {true, true, true, true, true, true, true, false, false};

// Whether a mangled TLS symbol belongs to V8 (its own namespace, a local
// static of a V8 function, or that static's guard).
bool IsV8Symbol(const char* name) {
  return std::strncmp(name, "_ZN2v8", 6) == 0 || std::strncmp(name, "_ZZN2v8", 7) == 0 ||
         std::strncmp(name, "_ZGVZN2v8", 9) == 0;
}

const Reviewed* FindReviewed(const char* name) {
  for (const Reviewed& r : kReviewed) {
    if (std::strcmp(r.symbol, name) == 0) return &r;
  }
  return nullptr;
}

bool Fail(std::string* error, std::string why) {
  *error = std::move(why);
  return false;
}

inline uintptr_t ThreadPointer() {
  uintptr_t tp;
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

// A mapped file, unmapped when it goes out of scope.
struct Mapped {
  const uint8_t* data = nullptr;
  size_t size = 0;
  ~Mapped() {
    if (data) munmap(const_cast<uint8_t*>(data), size);
  }
};

bool MapExecutable(Mapped* m) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(sizeof(Elf64_Ehdr));
  if (ok) {
    void* p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    ok = p != MAP_FAILED;
    if (ok) {
      m->data = static_cast<const uint8_t*>(p);
      m->size = st.st_size;
    }
  }
  close(fd);
  return ok;
}

uintptr_t LoadBias() {
  uintptr_t bias = 0;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* out) -> int {
        *static_cast<uintptr_t*>(out) = info->dlpi_addr;  // the first entry is the executable
        return 1;
      },
      &bias);
  return bias;
}

}  // namespace

bool ThreadIdentity::Parse(std::string* error) {
  Mapped exe;
  if (!MapExecutable(&exe)) return Fail(error, "cannot read /proc/self/exe");
  const uint8_t* base = exe.data;
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_machine != EM_X86_64) {
    return Fail(error, "the executable is not an x86-64 ELF file");
  }
  if (eh->e_phoff + uint64_t{eh->e_phnum} * sizeof(Elf64_Phdr) > exe.size ||
      eh->e_shoff + uint64_t{eh->e_shnum} * sizeof(Elf64_Shdr) > exe.size) {
    return Fail(error, "the executable's ELF headers are truncated");
  }
  const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
  const Elf64_Phdr* tls = nullptr;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_TLS) tls = &ph[i];
  }
  if (tls == nullptr) return Fail(error, "the executable has no TLS segment (V8 is not linked in)");
  if (tls->p_offset + tls->p_filesz > exe.size) return Fail(error, "the TLS image lies outside the file");
  // glibc's offset of the first TLS module (the executable) below the
  // thread pointer: roundup(memsz, align), adjusted for p_vaddr's alignment.
  uint64_t align = tls->p_align ? tls->p_align : 1;
  uint64_t first = (-(tls->p_vaddr & (align - 1))) & (align - 1);
  block_offset_ = ((tls->p_memsz - first + align - 1) / align) * align + first;
  const uint8_t* image = base + tls->p_offset;

  const auto* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
  bool have_symtab = false;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) continue;
    bool dynamic = sh[i].sh_type == SHT_DYNSYM;
    have_symtab = have_symtab || !dynamic;
    if (sh[i].sh_link >= eh->e_shnum) continue;
    const Elf64_Shdr& strtab = sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > exe.size || strtab.sh_offset + strtab.sh_size > exe.size) continue;
    const auto* syms = reinterpret_cast<const Elf64_Sym*>(base + sh[i].sh_offset);
    const char* names = reinterpret_cast<const char*>(base + strtab.sh_offset);
    for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
      const Elf64_Sym& s = syms[k];
      if (s.st_shndx == SHN_UNDEF || s.st_name >= strtab.sh_size) continue;
      const char* name = names + s.st_name;
      int type = ELF64_ST_TYPE(s.st_info);
      if (type == STT_FUNC && std::strcmp(name, "_ZN2v88internal8ThreadId18GetCurrentThreadIdEv") == 0) {
        thread_id_fn_vaddr_ = s.st_value;
      }
      if (type != STT_TLS) continue;
      int bind = ELF64_ST_BIND(s.st_info);
      if (dynamic && (bind == STB_GLOBAL || bind == STB_GNU_UNIQUE)) {
        exported_names_.append(name).push_back('\0');
        exported_offsets_.push_back(static_cast<intptr_t>(s.st_value) - static_cast<intptr_t>(block_offset_));
      }
      if (!IsV8Symbol(name)) continue;
      const Reviewed* r = FindReviewed(name);
      if (r == nullptr) return Fail(error, std::string("V8 thread_local not on the reviewed list: ") + name);
      if (r->review != Review::kSwap) continue;
      Var& v = vars_[r->var];
      if (s.st_size != 1 && s.st_size != 4 && s.st_size != 8) {
        return Fail(error, std::string("unexpected size of ") + name);
      }
      if (s.st_value + s.st_size > tls->p_memsz) return Fail(error, std::string("outside the TLS block: ") + name);
      v.found = true;
      v.size = s.st_size;
      v.tp_offset = static_cast<intptr_t>(s.st_value) - static_cast<intptr_t>(block_offset_);
      v.initial = 0;
      if (s.st_value + s.st_size <= tls->p_filesz) std::memcpy(&v.initial, image + s.st_value, s.st_size);
    }
  }
  if (!have_symtab) return Fail(error, "the executable is stripped (no .symtab): V8's thread_locals cannot be found");
  for (int i = 0; i < kIdentityVarCount; i++) {
    if (kRequired[i] && !vars_[i].found) return Fail(error, "a required V8 thread_local was not found");
  }
  return true;
}

const ThreadIdentity* ThreadIdentity::Get(std::string* error) {
  // Parsed once per process: the executable is the same for every thread.
  static ThreadIdentity identity;
  static std::string parse_error;
  static std::once_flag once;
  std::call_once(once, [] {
    if (!identity.Parse(&parse_error) && parse_error.empty()) parse_error = "unknown";
  });
  if (!parse_error.empty()) {
    *error = parse_error;
    return nullptr;
  }
  return &identity;
}

namespace {

// Plain loads and stores of the variable's width (on the switch path: a
// memcpy of a run-time size was a library call per variable, ~10% of a
// switch).
uint64_t ReadVar(const ThreadIdentity::Var& v, uintptr_t tp) {
  const void* p = reinterpret_cast<const void*>(tp + v.tp_offset);
  switch (v.size) {
    case 8: return *static_cast<const uint64_t*>(p);
    case 4: return *static_cast<const uint32_t*>(p);
    default: return *static_cast<const uint8_t*>(p);
  }
}

void WriteVar(const ThreadIdentity::Var& v, uintptr_t tp, uint64_t x) {
  void* p = reinterpret_cast<void*>(tp + v.tp_offset);
  switch (v.size) {
    case 8: *static_cast<uint64_t*>(p) = x; break;
    case 4: *static_cast<uint32_t*>(p) = static_cast<uint32_t>(x); break;
    default: *static_cast<uint8_t*>(p) = static_cast<uint8_t>(x); break;
  }
}

}  // namespace

void ThreadIdentity::Save(uint64_t* out) const {
  uintptr_t tp = ThreadPointer();
  for (int i = 0; i < kIdentityVarCount; i++) {
    if (vars_[i].found) out[i] = ReadVar(vars_[i], tp);
  }
}

void ThreadIdentity::Restore(const uint64_t* in) const {
  uintptr_t tp = ThreadPointer();
  for (int i = 0; i < kIdentityVarCount; i++) {
    if (vars_[i].found) WriteVar(vars_[i], tp, in[i]);
  }
}

void ThreadIdentity::Fresh(uint64_t* out, uintptr_t stack_top) const {
  for (int i = 0; i < kIdentityVarCount; i++) out[i] = vars_[i].initial;
  out[kStackStart] = stack_top;
}

int ThreadIdentity::CurrentThreadId() const {
  return static_cast<int>(ReadVar(vars_[kThreadId], ThreadPointer()));
}

bool ThreadIdentity::Verify(v8::Isolate* isolate, std::string* error) const {
  uintptr_t tp = ThreadPointer();
  // 1. glibc resolves an exported TLS symbol to the calling thread's copy.
  size_t checked = 0;
  const char* name = exported_names_.c_str();
  for (intptr_t offset : exported_offsets_) {
    void* p = dlsym(RTLD_DEFAULT, name);
    if (p != nullptr) {
      if (reinterpret_cast<uintptr_t>(p) != tp + offset) return Fail(error, std::string("dlsym disagrees on ") + name);
      checked++;
    }
    name += std::strlen(name) + 1;
  }
  if (checked == 0) return Fail(error, "no exported TLS symbol to check the TLS block offset with");
  // 2. The executable's TLS block as the dynamic linker reports it.
  struct Block {
    void* data;
    size_t module;
  } block{nullptr, 0};
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* out) -> int {
        static_cast<Block*>(out)->data = info->dlpi_tls_data;
        static_cast<Block*>(out)->module = info->dlpi_tls_modid;
        return 1;
      },
      &block);
  if (block.module != 1 || reinterpret_cast<uintptr_t>(block.data) != tp - block_offset_) {
    return Fail(error, "dl_iterate_phdr disagrees on the executable's TLS block");
  }
  // 3. V8's own ThreadId::GetCurrentThreadId() starts with a local-exec
  //    load `mov %fs:disp32, %eax` (64 8b 04 25 disp32) of our offset, and
  //    returns the value we read.
  void* fn = dlsym(RTLD_DEFAULT, "_ZN2v88internal8ThreadId18GetCurrentThreadIdEv");
  if (fn == nullptr && thread_id_fn_vaddr_ != 0) fn = reinterpret_cast<void*>(thread_id_fn_vaddr_ + LoadBias());
  if (fn == nullptr) return Fail(error, "V8's ThreadId::GetCurrentThreadId was not found");
  const auto* code = static_cast<const uint8_t*>(fn);
  bool displacement_ok = false;
  for (int i = 0; i < 16 && !displacement_ok; i++) {
    if (code[i] == 0x64 && code[i + 1] == 0x8b && (code[i + 2] & 0xc7) == 0x04 && code[i + 3] == 0x25) {
      int32_t disp;
      std::memcpy(&disp, code + i + 4, 4);
      if (disp != vars_[kThreadId].tp_offset) return Fail(error, "V8 reads its ThreadId at another TLS offset");
      displacement_ok = true;
    }
  }
  if (!displacement_ok) return Fail(error, "ThreadId::GetCurrentThreadId does not start with a local-exec TLS load");
  int id = reinterpret_cast<int (*)()>(fn)();
  if (id <= 0 || id != CurrentThreadId()) return Fail(error, "V8's ThreadId differs from the TLS value");
  // 4. The entered isolate, and PerIsolateThreadData {Isolate*, ThreadId}.
  if (ReadVar(vars_[kCurrentIsolate], tp) != reinterpret_cast<uintptr_t>(isolate)) {
    return Fail(error, "the current-isolate TLS value is not Isolate::GetCurrent()");
  }
  uint64_t data = ReadVar(vars_[kPerThreadData], tp);
  if (data == 0) return Fail(error, "no PerIsolateThreadData on an entered thread");
  void* data_isolate;
  int data_id;
  std::memcpy(&data_isolate, reinterpret_cast<const void*>(data), sizeof data_isolate);
  std::memcpy(&data_id, reinterpret_cast<const void*>(data + 8), sizeof data_id);
  if (data_isolate != isolate || data_id != id) return Fail(error, "PerIsolateThreadData has another layout");
  // 5. The cached stack start: unset, or just above the stack pointer.
  uint64_t start = ReadVar(vars_[kStackStart], tp);
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (start != 0 && (start < sp || start - sp > (64u << 20))) {
    return Fail(error, "the cached stack start is not above the stack pointer");
  }
  return true;
}

}  // namespace tasklet
