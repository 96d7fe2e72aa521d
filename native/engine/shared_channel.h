// SharedChannel: a channel shared by threads (isolates). Values are bytes
// (structured-clone serialized by the caller); the buffer and the queues of
// waiting senders and receivers sit behind one mutex. A waiter belongs to an
// Inbox (one per environment: completions are handed to that thread's event
// loop through a uv_async_t) or is a thread blocked in WaitBlocking().
#pragma once

#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace tasklet {

using Bytes = std::vector<uint8_t>;

enum class CompletionKind : int { kReceived = 0, kSent = 1, kClosed = 2 };

class SharedChannel;

struct Completion {
  uint64_t id;
  CompletionKind kind;
  Bytes bytes;
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
  Bytes bytes;  // what a sender sends
  bool is_exception = false;
  // Thread-blocking waiters:
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  Completion result{};
};

enum class SharedOp : int {
  kDone = 0,        // completed at once (bytes/is_exception filled for receive)
  kBlocked = 2,     // queued; completion comes later
  kWouldBlock = 3,  // not ready and no waiter given
  kClosed = 4,
};

class SharedChannel : public std::enable_shared_from_this<SharedChannel> {
 public:
  explicit SharedChannel(double capacity) : capacity_(capacity) {}

  SharedOp Send(Bytes bytes, bool is_exception,
                const std::shared_ptr<Waiter>& waiter);
  SharedOp Receive(Bytes* bytes, bool* is_exception,
                   const std::shared_ptr<Waiter>& waiter);
  // Removes the waiter; true if it was still queued.
  bool Cancel(const Waiter* waiter);
  // Puts a value received by a waiter that was cancelled meanwhile back at
  // the front, so that no value is lost.
  void Unget(Bytes bytes, bool is_exception);
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

  std::mutex mutex_;
  const double capacity_;
  bool closing_ = false;
  std::deque<std::pair<Bytes, bool>> buffer_;
  std::deque<std::shared_ptr<Waiter>> senders_;
  std::deque<std::shared_ptr<Waiter>> receivers_;
};

}  // namespace tasklet
