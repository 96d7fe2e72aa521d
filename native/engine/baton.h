// Baton: the one-shot wake-up each strand (and the main thread) waits on
// while another thread holds the isolate. Spin briefly, then park on a futex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tasklet {

// How many waiters of one engine may spin at the same time. With 50 suspended
// strands all spinning, the event loop starved and hung (DESIGN.md); two
// spinners cover a ping-pong between two tasklets, or a tasklet and main,
// on this 2-core machine class.
constexpr int kMaxSpinners = 2;

// Spin iterations before parking, at most. One iteration is a load plus a
// `pause`: 2000 of them took 52 us on this machine class (26 ns each, timed
// with a standalone loop), about twice the cost of waking a parked thread on
// the other core (~25 us), the break-even point for spinning.
constexpr int kMaxSpinIterations = 2000;
// Adaptive spinning (as in adaptive mutexes): each waiter halves its spin
// budget when a spin ran out or a park lasted long, and doubles it when a
// park ended within kShortParkNs (spinning would have paid off). A tasklet
// waiting on slow I/O soon parks at once; one in a hot loop keeps spinning.
constexpr int kMinSpinIterations = 16;
constexpr int64_t kShortParkNs = 100'000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class Baton {
 public:
  // Wakes the waiter (or lets its next Wait() return at once).
  // Never blocks; safe from any thread.
  void Signal() {
    uint32_t old = state_.exchange(kSignaled, std::memory_order_acq_rel);
    if (old == kParked) state_.notify_one();
  }

  // Blocks until Signal(). Spins first when `spin` is true, a spinner slot in
  // `spinners` is free and this waiter's budget allows; parks (no CPU)
  // otherwise. Does not touch V8.
  void Wait(bool spin, std::atomic<int>& spinners) {
    if (spin && budget_ >= kMinSpinIterations && TryTake(spinners)) {
      for (int i = 0; i < budget_; ++i) {
        if (state_.load(std::memory_order_acquire) == kSignaled) {
          spinners.fetch_sub(1, std::memory_order_relaxed);
          state_.store(kIdle, std::memory_order_relaxed);
          return;
        }
        CpuRelax();
      }
      spinners.fetch_sub(1, std::memory_order_relaxed);
    }
    uint32_t expected = kIdle;
    if (state_.compare_exchange_strong(expected, kParked,
                                       std::memory_order_acq_rel)) {
      auto parked_at = std::chrono::steady_clock::now();
      while (state_.load(std::memory_order_acquire) == kParked) {
        state_.wait(kParked, std::memory_order_acquire);
      }
      if (spin) Adapt(std::chrono::steady_clock::now() - parked_at);
    }
    // Either we were signaled before parking or woken after it.
    state_.store(kIdle, std::memory_order_relaxed);
  }

 private:
  void Adapt(std::chrono::steady_clock::duration parked) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(parked).count();
    if (ns < kShortParkNs) {
      budget_ = budget_ * 2 < kMaxSpinIterations ? budget_ * 2 : kMaxSpinIterations;
      if (budget_ < kMinSpinIterations * 4) budget_ = kMinSpinIterations * 4;
    } else {
      budget_ /= 2;
    }
  }

  static bool TryTake(std::atomic<int>& spinners) {
    int n = spinners.load(std::memory_order_relaxed);
    while (n < kMaxSpinners) {
      if (spinners.compare_exchange_weak(n, n + 1,
                                         std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  static constexpr uint32_t kIdle = 0;
  static constexpr uint32_t kSignaled = 1;
  static constexpr uint32_t kParked = 2;
  std::atomic<uint32_t> state_{kIdle};
  // Only the waiting thread reads or writes this.
  int budget_ = kMaxSpinIterations;
};

}  // namespace tasklet
