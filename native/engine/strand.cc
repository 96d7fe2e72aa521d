// The strand engine: OS thread creation with a chosen stack size, the thread
// entry, and the lock handoff between threads.
#include "strand.h"

namespace tasklet {

bool Strand::Start(size_t stack_size, int* error) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int rc = pthread_attr_setstacksize(&attr, stack_size);
  if (rc == 0) rc = pthread_create(&thread_, &attr, ThreadMain, this);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    *error = rc;
    return false;
  }
  started_ = true;
  return true;
}

void Strand::Join() {
  if (!started_) return;
  pthread_join(thread_, nullptr);
  started_ = false;
}

void* Strand::ThreadMain(void* arg) {
  Strand* self = static_cast<Strand*>(arg);
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      self->stack_low_ = reinterpret_cast<uintptr_t>(addr);
      self->stack_size_ = size;
    }
    pthread_attr_destroy(&attr);
  }
  self->engine_->StrandMain(self);
  return nullptr;
}

std::unique_ptr<Carrier> StrandEngine::NewCarrier(int* error) {
  auto strand = std::make_unique<Strand>(this);
  if (!strand->Start(stack_size(), error)) return nullptr;
  return strand;
}

void StrandEngine::StrandMain(Strand* self) {
  self->baton.Wait(false, spinners_);
  if (self->command == Command::kExit) return;
  CarrierMain(self);
}

void StrandEngine::Transfer(Carrier* self, Carrier* to, bool spin) {
  Baton& mine = self ? static_cast<Strand*>(self)->baton : main_baton_;
  Baton& theirs = to ? static_cast<Strand*>(to)->baton : main_baton_;
  // A strand stays entered in the isolate while parked (it enters once in
  // CarrierMain and exits when it leaves the pool): an Exit/Enter pair here
  // cost ~370 of ~3,430 instructions per switch on Node 20, ~810 of ~4,120
  // on Node 26 (whose relock enters too, cheaply when already entered).
  // V8's per-isolate entry stack then holds one item per started strand,
  // interleaved above the thread's own item, which is
  // harmless as long as every strand item is alike (entered once, from no
  // previous isolate) and nothing else stays entered across a switch: a
  // nested Enter/Exit only changes the count of the top item and is
  // balanced before anyone unlocks, and Teardown exits every strand, each
  // Exit popping one strand item, before Node exits and disposes the
  // isolate. Enter also sets the heap's stack start, which V8 11 (Node 20)
  // does not do on a relock, and Node 20's CppHeap scans the stack up to it
  // in every full GC: RecordStackStart() sets it to our own stack again.
  {
    v8::Unlocker unlocker(isolate_);
    theirs.Signal();
    mine.Wait(spin, spinners_);
  }
  RecordStackStart();
}

void StrandEngine::End(Carrier* carrier) {
  Strand* strand = static_cast<Strand*>(carrier);
  strand->command = Command::kExit;
  {
    v8::Unlocker unlocker(isolate_);
    strand->baton.Signal();
    strand->Join();
  }
  RecordStackStart();  // the stack start may be the ended strand's
}

}  // namespace tasklet
