// SharedChannel: a channel shared by threads (isolates). Values are
// Messages (structured-clone bytes serialized by the caller, plus the backing
// stores of ArrayBuffers moved and SharedArrayBuffers shared); the buffer
// and the queues of waiting senders and receivers sit behind one lock. A waiter belongs to an
// Inbox (one per environment: completions are handed to that thread's event
// loop through a uv_async_t) or is a thread blocked in WaitBlocking().
#pragma once

#include <sched.h>
#include <uv.h>
#include <v8.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "baton.h"  // CpuRelax

namespace tasklet {

// One value in flight. `data` is the serializer's own buffer (malloc'd),
// handed over without a copy. Moving a Message never touches V8; dropping one
// releases the backing stores it holds, which V8 allows from any thread.
class Message {
 public:
  Message() = default;
  Message(Message&& other) noexcept { *this = std::move(other); }
  Message& operator=(Message&& other) noexcept {
    if (this != &other) {
      std::free(data_);
      data_ = other.data_;
      size_ = other.size_;
      other.data_ = nullptr;
      other.size_ = 0;
      array_buffers = std::move(other.array_buffers);
      shared_buffers = std::move(other.shared_buffers);
    }
    return *this;
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message() { std::free(data_); }

  // Takes ownership of a malloc'd buffer.
  void SetData(uint8_t* data, size_t size) {
    std::free(data_);
    data_ = data;
    size_ = size;
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // Transfer ids index these (ValueSerializer::TransferArrayBuffer).
  std::vector<std::shared_ptr<v8::BackingStore>> array_buffers;
  // Clone ids index these (Delegate::GetSharedArrayBufferId).
  std::vector<std::shared_ptr<v8::BackingStore>> shared_buffers;

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

enum class CompletionKind : int { kReceived = 0, kSent = 1, kClosed = 2 };

class SharedChannel;

struct Completion {
  uint64_t id;
  CompletionKind kind;
  Message message;
  bool is_exception;
  // For kReceived: where the value goes back if its receiver is gone.
  std::shared_ptr<SharedChannel> channel;
};

// One per environment that uses shared channels. Other threads push
// completions and wake the owner's loop; the owner drains them in JS.
class Inbox {
 public:
  // Moves the completion in and wakes the owning loop. Any thread.
  // Returns false, leaving `completion` as it was, when the owner is gone.
  bool Post(Completion& completion);
  // Owner thread: takes every pending completion.
  std::vector<Completion> Drain();
  // Owner thread, at teardown: no more posts are accepted; values received
  // but not yet taken go back to their channels.
  void Shutdown();

  uv_async_t async;  // owned by the environment's loop
 private:
  std::mutex mutex_;
  std::vector<Completion> pending_;
  bool alive_ = true;
};

struct Waiter {
  std::shared_ptr<Inbox> inbox;  // null: a thread blocked in WaitBlocking()
  uint64_t id = 0;
  bool sender = false;
  Message message;  // what a sender sends
  bool is_exception = false;
  // Thread-blocking waiters:
  std::mutex mutex;
  std::condition_variable cv;
  // Set (release) after `result`: a thread may spin on it before its
  // condition-variable wait.
  std::atomic<bool> done{false};
  Completion result{};
};

enum class SharedOp : int {
  kDone = 0,        // completed at once (bytes/is_exception filled for receive)
  kBlocked = 2,     // queued; completion comes later
  kWouldBlock = 3,  // not ready and no waiter given
  kClosed = 4,
};

// The channel's lock: its critical sections are a few deque operations, and
// the two sides of a busy channel usually run on two cores at once, where a
// std::mutex's futex sleep and wake-up cost far more than the wait. Spins
// (test and test-and-set), yielding the CPU after a while in case the
// holder was descheduled.
class SpinLock {
 public:
  void lock() {
    for (int spins = 0;; ++spins) {
      if (!locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire)) return;
      if (spins < kSpinsBeforeYield) {
        CpuRelax();
      } else {
        sched_yield();
      }
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr int kSpinsBeforeYield = 200;
  std::atomic<bool> locked_{false};
};

class SharedChannel : public std::enable_shared_from_this<SharedChannel> {
 public:
  explicit SharedChannel(double capacity) : capacity_(capacity) {}

  // With no waiter, Send/Receive never queue (kWouldBlock) and leave
  // `message` as it was.
  SharedOp Send(Message& message, bool is_exception,
                const std::shared_ptr<Waiter>& waiter);
  SharedOp Receive(Message* message, bool* is_exception,
                   const std::shared_ptr<Waiter>& waiter);
  // Removes the waiter; true if it was still queued.
  bool Cancel(const Waiter* waiter);
  // Puts a value received by a waiter that was cancelled meanwhile back at
  // the front, so that no value is lost.
  void Unget(Message message, bool is_exception);
  void Close();
  void Open();
  int Balance();
  bool Closing();
  bool Closed();
  size_t Buffered();

 private:
  void Complete(const std::shared_ptr<Waiter>& w, Completion c);
  bool ClosedLocked() const {
    return closing_ && buffer_.empty() && senders_.empty();
  }

  SpinLock lock_;
  const double capacity_;
  bool closing_ = false;
  std::deque<std::pair<Message, bool>> buffer_;
  std::deque<std::shared_ptr<Waiter>> senders_;
  std::deque<std::shared_ptr<Waiter>> receivers_;
};

}  // namespace tasklet
