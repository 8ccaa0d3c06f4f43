// The worker's heartbeat: a thread that rewrites the lease of the held job and the
// worker's status file every period. The lease is renewed only while training ADVANCES:
// the training hooks call progress(); when no progress was reported for stall_s the
// lease is no longer renewed, so the master requeues the job of a hung trainer (and
// counts the attempt) instead of waiting for it forever.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "hposync/protocol/lease_file.hpp"
#include "hposync/protocol/transitions.hpp"

namespace hposync::orchestration {

class Heartbeat {
public:
    Heartbeat(protocol::Transitions& transitions, protocol::WorkerInfo info, double period_s, double stall_s);
    ~Heartbeat();  // stops the thread (never leaves a joinable thread behind)

    void start();
    void stop();

    // Holds `id`: writes its lease at once and from now on at every beat (while it advances).
    void hold(const std::string& id);
    // Stops refreshing the lease and removes it (under the lock, so no late beat recreates it).
    void release(bool job_finished);
    void set_state(protocol::WorkerState state);
    int64_t jobs_done();
    // Training advanced (an update, an epoch). Cheap: an atomic store; called from the trainer.
    void progress();

private:
    void loop();
    void write_locked();

    protocol::Transitions& transitions_;
    protocol::WorkerInfo info_;
    double period_s_, stall_s_;
    int64_t counter_ = 0;
    std::atomic<int64_t> progress_{0};
    int64_t progress_seen_ = -1;
    double progress_at_ = 0;  // steady seconds of the last progress seen by a beat
    bool stalled_said_ = false;
    bool done_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread thread_;
};

}  // namespace hposync::orchestration
