// The strand engine (the fallback, public V8 API only): each carrier is an
// OS thread with its own stack that runs JavaScript only while it holds the
// isolate's v8::Locker. A switch is a lock handoff between OS threads
// through a spin-then-park baton.
#pragma once

#include <pthread.h>
#include <v8.h>

#include <atomic>
#include <cstddef>
#include <memory>

#include "baton.h"
#include "engine.h"

namespace tasklet {

class StrandEngine;

// Strand: an OS thread that carries one tasklet at a time.
class Strand final : public Carrier {
 public:
  explicit Strand(StrandEngine* engine) : engine_(engine) {}

  // Creates the OS thread; it parks on the baton until the first command.
  // Returns false (with an errno value in `error`) when the OS refuses.
  bool Start(size_t stack_size, int* error);

  // Waits for the thread to end. The caller must not hold the isolate lock
  // (the ending thread takes it once more to release its V8 thread state).
  void Join();

  Baton baton;

 private:
  static void* ThreadMain(void* self);

  StrandEngine* engine_;
  pthread_t thread_{};
  bool started_ = false;
};

class StrandEngine final : public Engine {
 public:
  using Engine::Engine;
  const char* name() const override { return "strand"; }
  int spinner_count() const override { return spinners_.load(std::memory_order_relaxed); }

 private:
  friend class Strand;
  std::unique_ptr<Carrier> NewCarrier(int* error) override;
  void Transfer(Carrier* self, Carrier* to, bool spin) override;
  void End(Carrier* carrier) override;
  // Body of a strand's thread: waits for its first command, then carries
  // tasklets until told to exit. Takes the isolate lock.
  void StrandMain(Strand* self);

  Baton main_baton_;
  std::atomic<int> spinners_{0};
};

}  // namespace tasklet
