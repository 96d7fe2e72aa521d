// Strand: OS thread creation with a chosen stack size, and the thread entry
// that hands control to the engine's strand loop.
#include "strand.h"

#include <cerrno>

#include "engine.h"

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

}  // namespace tasklet
