// Strand: an OS thread with its own stack that runs one tasklet at a time,
// and only while it holds the isolate's v8::Locker.
#pragma once

#include <pthread.h>
#include <v8.h>

#include <cstddef>
#include <cstdint>

#include "baton.h"

namespace tasklet {

class Engine;

// What a strand is asked to do when its baton is signaled.
enum class Command : uint8_t {
  kStart,      // run the bound tasklet from its beginning
  kResume,     // return from the SwitchTo() it is suspended in
  kTerminate,  // unwind the suspended tasklet without running user code
  kExit,       // leave the pool and end the thread
};

class Strand {
 public:
  explicit Strand(Engine* engine) : engine_(engine) {}
  Strand(const Strand&) = delete;
  Strand& operator=(const Strand&) = delete;

  // Creates the OS thread; it parks on the baton until the first command.
  // Returns false (and sets errno-style `error`) when the OS refuses.
  bool Start(size_t stack_size, int* error);

  // Waits for the thread to end. The caller must not hold the isolate lock
  // (the ending thread takes it once more to release its V8 thread state).
  void Join();

  // The lowest usable address of this strand's stack, known once it runs.
  uintptr_t stack_low() const { return stack_low_; }
  size_t stack_size() const { return stack_size_; }

  Baton baton;
  Command command = Command::kStart;
  // The tasklet object this strand runs; empty while pooled.
  v8::Global<v8::Object> tasklet;

 private:
  static void* ThreadMain(void* self);

  Engine* engine_;
  pthread_t thread_{};
  bool started_ = false;
  uintptr_t stack_low_ = 0;
  size_t stack_size_ = 0;
};

}  // namespace tasklet
