// SharedChannel and Inbox: matching under one lock; completions are handed
// to the waiter's thread (its loop's inbox, or its condition variable)
// outside the channel's lock. Nothing here calls into V8 (Messages only
// carry backing-store references).
#include "shared_channel.h"

namespace tasklet {

bool Inbox::Post(Completion& completion) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!alive_) return false;
  pending_.push_back(std::move(completion));
  uv_async_send(&async);
  return true;
}

std::vector<Completion> Inbox::Drain() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Completion> out;
  out.swap(pending_);
  return out;
}

void Inbox::Shutdown() {
  std::vector<Completion> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    alive_ = false;
    pending.swap(pending_);
  }
  for (Completion& c : pending) {
    if (c.kind == CompletionKind::kReceived && c.channel) {
      c.channel->Unget(std::move(c.message), c.is_exception);
    }
  }
}

void SharedChannel::Complete(const std::shared_ptr<Waiter>& w, Completion c) {
  if (w->inbox) {
    if (c.kind == CompletionKind::kReceived) c.channel = shared_from_this();
    if (!w->inbox->Post(c) && c.kind == CompletionKind::kReceived) {
      Unget(std::move(c.message), c.is_exception);  // its receiver is gone
    }
    return;
  }
  std::lock_guard<std::mutex> lock(w->mutex);
  w->result = std::move(c);
  w->done.store(true, std::memory_order_release);
  w->cv.notify_one();
}

SharedOp SharedChannel::Send(Message& message, bool is_exception,
                             const std::shared_ptr<Waiter>& waiter) {
  std::shared_ptr<Waiter> receiver;
  {
    std::lock_guard<SpinLock> lock(lock_);
    if (closing_) return SharedOp::kClosed;
    if (!receivers_.empty()) {
      receiver = std::move(receivers_.front());
      receivers_.pop_front();
    } else if (static_cast<double>(buffer_.size()) < capacity_) {
      buffer_.emplace_back(std::move(message), is_exception);
      return SharedOp::kDone;
    } else if (!waiter) {
      return SharedOp::kWouldBlock;
    } else {
      waiter->sender = true;
      waiter->message = std::move(message);
      waiter->is_exception = is_exception;
      senders_.push_back(waiter);
      return SharedOp::kBlocked;
    }
  }
  Complete(receiver, {receiver->id, CompletionKind::kReceived, std::move(message), is_exception, nullptr});
  return SharedOp::kDone;
}

SharedOp SharedChannel::Receive(Message* message, bool* is_exception,
                                const std::shared_ptr<Waiter>& waiter) {
  std::shared_ptr<Waiter> sender;
  {
    std::lock_guard<SpinLock> lock(lock_);
    if (!buffer_.empty()) {
      *message = std::move(buffer_.front().first);
      *is_exception = buffer_.front().second;
      buffer_.pop_front();
      if (!senders_.empty()) {
        sender = std::move(senders_.front());
        senders_.pop_front();
        buffer_.emplace_back(std::move(sender->message), sender->is_exception);
      }
    } else if (!senders_.empty()) {
      sender = std::move(senders_.front());
      senders_.pop_front();
      *message = std::move(sender->message);
      *is_exception = sender->is_exception;
    } else if (closing_) {
      return SharedOp::kClosed;
    } else if (!waiter) {
      return SharedOp::kWouldBlock;
    } else {
      receivers_.push_back(waiter);
      return SharedOp::kBlocked;
    }
  }
  if (sender) Complete(sender, {sender->id, CompletionKind::kSent, {}, false, nullptr});
  return SharedOp::kDone;
}

bool SharedChannel::Cancel(const Waiter* waiter) {
  std::lock_guard<SpinLock> lock(lock_);
  for (auto* queue : {&senders_, &receivers_}) {
    for (auto it = queue->begin(); it != queue->end(); ++it) {
      if (it->get() == waiter) {
        queue->erase(it);
        return true;
      }
    }
  }
  return false;
}

void SharedChannel::Unget(Message message, bool is_exception) {
  std::shared_ptr<Waiter> receiver;
  {
    std::lock_guard<SpinLock> lock(lock_);
    if (!receivers_.empty()) {
      receiver = std::move(receivers_.front());
      receivers_.pop_front();
    } else {
      buffer_.emplace_front(std::move(message), is_exception);
      return;
    }
  }
  Complete(receiver, {receiver->id, CompletionKind::kReceived, std::move(message), is_exception, nullptr});
}

void SharedChannel::Close() {
  std::deque<std::shared_ptr<Waiter>> failed;
  {
    std::lock_guard<SpinLock> lock(lock_);
    closing_ = true;
    if (ClosedLocked()) failed.swap(receivers_);
  }
  for (auto& w : failed) Complete(w, {w->id, CompletionKind::kClosed, {}, false, nullptr});
}

void SharedChannel::Open() {
  std::lock_guard<SpinLock> lock(lock_);
  closing_ = false;
}

int SharedChannel::Balance() {
  std::lock_guard<SpinLock> lock(lock_);
  return static_cast<int>(senders_.size()) - static_cast<int>(receivers_.size());
}

bool SharedChannel::Closing() {
  std::lock_guard<SpinLock> lock(lock_);
  return closing_;
}

bool SharedChannel::Closed() {
  std::lock_guard<SpinLock> lock(lock_);
  return ClosedLocked();
}

size_t SharedChannel::Buffered() {
  std::lock_guard<SpinLock> lock(lock_);
  return buffer_.size();
}

}  // namespace tasklet
