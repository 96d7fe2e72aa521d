// ChannelCore: matching of sends and receives, buffering, close.
// No method runs JavaScript, switches or waits; all take the mutex.
#include "channel.h"

namespace tasklet {

ChannelOp ChannelCore::Send(v8::Isolate* isolate, v8::Local<v8::Value> value,
                            bool is_exception, v8::Local<v8::Object> waiter,
                            v8::Local<v8::Object>* woken) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) return ChannelOp::kClosed;
  if (!receivers_.empty()) {
    *woken = receivers_.front().waiter.Get(isolate);
    receivers_.pop_front();
    return ChannelOp::kWake;
  }
  if (static_cast<double>(buffer_.size()) < capacity_) {
    buffer_.emplace_back();
    buffer_.back().value.Reset(isolate, value);
    buffer_.back().is_exception = is_exception;
    return ChannelOp::kDone;
  }
  if (waiter.IsEmpty()) return ChannelOp::kWouldBlock;
  senders_.emplace_back();
  senders_.back().waiter.Reset(isolate, waiter);
  senders_.back().item.value.Reset(isolate, value);
  senders_.back().item.is_exception = is_exception;
  return ChannelOp::kBlocked;
}

ChannelOp ChannelCore::Receive(v8::Isolate* isolate,
                               v8::Local<v8::Object> waiter,
                               v8::Local<v8::Value>* value,
                               bool* is_exception,
                               v8::Local<v8::Object>* woken) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!buffer_.empty()) {
    *value = buffer_.front().value.Get(isolate);
    *is_exception = buffer_.front().is_exception;
    buffer_.pop_front();
    if (senders_.empty()) return ChannelOp::kDone;
    // A slot came free: the first waiting sender's value moves in.
    ChannelWaiter& sender = senders_.front();
    buffer_.push_back(std::move(sender.item));
    bool has_waiter = !sender.waiter.IsEmpty();  // none: a value given back
    if (has_waiter) *woken = sender.waiter.Get(isolate);
    senders_.pop_front();
    return has_waiter ? ChannelOp::kWake : ChannelOp::kDone;
  }
  if (!senders_.empty()) {
    ChannelWaiter& sender = senders_.front();
    *value = sender.item.value.Get(isolate);
    *is_exception = sender.item.is_exception;
    bool has_waiter = !sender.waiter.IsEmpty();  // none: a value given back
    if (has_waiter) *woken = sender.waiter.Get(isolate);
    senders_.pop_front();
    return has_waiter ? ChannelOp::kWake : ChannelOp::kDone;
  }
  if (closing_) return ChannelOp::kClosed;
  if (waiter.IsEmpty()) return ChannelOp::kWouldBlock;
  receivers_.emplace_back();
  receivers_.back().waiter.Reset(isolate, waiter);
  return ChannelOp::kBlocked;
}

void ChannelCore::Wait(v8::Isolate* isolate, v8::Local<v8::Object> waiter,
                       bool sender, v8::Local<v8::Value> value,
                       bool is_exception) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<ChannelWaiter>& queue = sender ? senders_ : receivers_;
  queue.emplace_back();
  queue.back().waiter.Reset(isolate, waiter);
  if (sender) {
    queue.back().item.value.Reset(isolate, value);
    queue.back().item.is_exception = is_exception;
  }
}

ChannelOp ChannelCore::PutBack(v8::Isolate* isolate,
                               v8::Local<v8::Value> value, bool is_exception,
                               v8::Local<v8::Object>* woken) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!receivers_.empty()) {
    *woken = receivers_.front().waiter.Get(isolate);
    receivers_.pop_front();
    return ChannelOp::kWake;
  }
  buffer_.emplace_front();
  buffer_.front().value.Reset(isolate, value);
  buffer_.front().is_exception = is_exception;
  if (static_cast<double>(buffer_.size()) > capacity_) {
    // The newest buffered value waits first in line, as a sender would.
    senders_.emplace_front();
    senders_.front().item = std::move(buffer_.back());
    buffer_.pop_back();
  }
  return ChannelOp::kDone;
}

bool ChannelCore::Cancel(v8::Isolate* isolate, v8::Local<v8::Object> waiter) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::deque<ChannelWaiter>* queue : {&senders_, &receivers_}) {
    for (auto it = queue->begin(); it != queue->end(); ++it) {
      if (it->waiter.Get(isolate) == waiter) {
        queue->erase(it);
        return true;
      }
    }
  }
  return false;
}

void ChannelCore::Close(std::deque<v8::Global<v8::Object>>* receivers) {
  std::lock_guard<std::mutex> lock(mutex_);
  closing_ = true;
  if (!ClosedLocked()) return;
  for (ChannelWaiter& r : receivers_) receivers->push_back(std::move(r.waiter));
  receivers_.clear();
}

void ChannelCore::Open() {
  std::lock_guard<std::mutex> lock(mutex_);
  closing_ = false;
}

void ChannelCore::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  buffer_.clear();
  senders_.clear();
  receivers_.clear();
}

int ChannelCore::Balance() {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(senders_.size()) - static_cast<int>(receivers_.size());
}

bool ChannelCore::Closing() {
  std::lock_guard<std::mutex> lock(mutex_);
  return closing_;
}

bool ChannelCore::Closed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ClosedLocked();
}

size_t ChannelCore::Buffered() {
  std::lock_guard<std::mutex> lock(mutex_);
  return buffer_.size();
}

}  // namespace tasklet
