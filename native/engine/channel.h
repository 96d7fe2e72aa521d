// ChannelCore: a channel's buffer and its queues of waiting senders and
// receivers, behind a mutex. It only matches operations; waking waiters and
// switching is the scheduler's work (the caller gets the waiter to wake).
#pragma once

#include <v8.h>

#include <cstddef>
#include <deque>
#include <mutex>

namespace tasklet {

// What a channel operation did.
enum class ChannelOp : int {
  kDone = 0,        // completed; nobody to wake
  kWake = 1,        // completed; the returned waiter must be woken
  kBlocked = 2,     // the caller was queued as a waiter
  kWouldBlock = 3,  // not ready and the caller did not want to wait
  kClosed = 4,      // sending on a closed channel / receiving on closed+empty
};

struct ChannelItem {
  v8::Global<v8::Value> value;
  bool is_exception = false;
};

struct ChannelWaiter {
  v8::Global<v8::Object> waiter;
  ChannelItem item;  // what a waiting sender sends
};

class ChannelCore {
 public:
  explicit ChannelCore(double capacity) : capacity_(capacity) {}
  ChannelCore(const ChannelCore&) = delete;
  ChannelCore& operator=(const ChannelCore&) = delete;

  // Sends `value`. A waiting receiver is handed back in `woken` (the caller
  // delivers the value); else the value is buffered if there is room; else,
  // with a `waiter`, the sender is queued (kBlocked), without one kWouldBlock.
  ChannelOp Send(v8::Isolate* isolate, v8::Local<v8::Value> value,
                 bool is_exception, v8::Local<v8::Object> waiter,
                 v8::Local<v8::Object>* woken);

  // Receives into `value`/`is_exception`. A sender whose value was taken (or
  // moved into the freed buffer slot) is handed back in `woken`.
  ChannelOp Receive(v8::Isolate* isolate, v8::Local<v8::Object> waiter,
                    v8::Local<v8::Value>* value, bool* is_exception,
                    v8::Local<v8::Object>* woken);

  // Queues `waiter` without matching (select registers its cases this way
  // after finding none ready).
  void Wait(v8::Isolate* isolate, v8::Local<v8::Object> waiter, bool sender,
            v8::Local<v8::Value> value, bool is_exception);

  // Gives back a value handed to a receiver that ended before taking it: it
  // goes to the first waiting receiver (kWake, in `woken`), else in front of
  // everything the channel holds, even when closing. What no longer fits
  // the buffer waits as a sender without a waiter (it counts in Balance()).
  ChannelOp PutBack(v8::Isolate* isolate, v8::Local<v8::Value> value,
                    bool is_exception, v8::Local<v8::Object>* woken);

  // Removes `waiter` from the queues; true if it was there.
  bool Cancel(v8::Isolate* isolate, v8::Local<v8::Object> waiter);

  // Stackless close(): no more sends. When nothing is pending the channel is
  // closed at once and the waiting receivers are moved into `receivers` (the
  // caller fails them with ChannelClosedError).
  void Close(std::deque<v8::Global<v8::Object>>* receivers);
  void Open();

  // Releases every value and waiter (environment teardown).
  void Clear();

  int Balance();
  bool Closing();
  bool Closed();
  size_t Buffered();
  double capacity() const { return capacity_; }

 private:
  bool ClosedLocked() const {
    return closing_ && buffer_.empty() && senders_.empty();
  }

  std::mutex mutex_;
  const double capacity_;  // may be +Infinity
  bool closing_ = false;
  std::deque<ChannelItem> buffer_;
  std::deque<ChannelWaiter> senders_;
  std::deque<ChannelWaiter> receivers_;
};

}  // namespace tasklet
