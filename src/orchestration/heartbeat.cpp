#include "heartbeat.hpp"

#include <chrono>
#include <iostream>

#include "hposync/common/atomic_file.hpp"
#include "hposync/common/error.hpp"
#include "hposync/common/keyvalue.hpp"
#include "hposync/protocol/lease.hpp"

namespace hposync::orchestration {
using namespace hposync::protocol;

Heartbeat::Heartbeat(Transitions& transitions, WorkerInfo info, double period_s, double stall_s)
    : transitions_(transitions), info_(std::move(info)), period_s_(period_s), stall_s_(stall_s) {}

Heartbeat::~Heartbeat() { stop(); }

void Heartbeat::start() {
    {
        std::lock_guard<std::mutex> g(mu_);
        write_locked();
    }
    thread_ = std::thread([this] { loop(); });
}

void Heartbeat::stop() {
    {
        std::lock_guard<std::mutex> g(mu_);
        done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Heartbeat::hold(const std::string& id) {
    std::lock_guard<std::mutex> g(mu_);
    info_.state = WorkerState::training;
    info_.job = id;
    progress_seen_ = progress_.load();
    progress_at_ = steady_seconds();  // data loading counts as progress until stall_s
    stalled_said_ = false;
    write_locked();
}

void Heartbeat::release(bool job_finished) {
    std::lock_guard<std::mutex> g(mu_);
    if (!info_.job.empty()) {
        try {
            remove_if_exists(transitions_.layout().running_lease(info_.job, info_.id));
        } catch (const Error& e) {  // the master removes orphan leases
            std::cerr << "hpo-worker " << info_.id << ": " << e.what() << "\n";
        }
    }
    info_.job.clear();
    info_.state = WorkerState::idle;
    if (job_finished) ++info_.jobs_done;
    write_locked();
}

void Heartbeat::set_state(WorkerState state) {
    std::lock_guard<std::mutex> g(mu_);
    info_.state = state;
    write_locked();
}

int64_t Heartbeat::jobs_done() {
    std::lock_guard<std::mutex> g(mu_);
    return info_.jobs_done;
}

void Heartbeat::progress() { progress_.fetch_add(1, std::memory_order_relaxed); }

void Heartbeat::loop() {
    std::unique_lock<std::mutex> g(mu_);
    while (!done_) {
        cv_.wait_for(g, std::chrono::duration<double>(period_s_));
        if (!done_) write_locked();
    }
}

void Heartbeat::write_locked() {
    info_.last_beat = unix_now();
    try {
        if (!info_.job.empty()) {
            const double now = steady_seconds();
            const int64_t p = progress_.load();
            if (p != progress_seen_) {
                progress_seen_ = p;
                progress_at_ = now;
                stalled_said_ = false;
            }
            if (now - progress_at_ <= stall_s_) {
                LeaseInfo lease{info_.job, info_.id, info_.host, info_.pid, ++counter_, info_.last_beat};
                transitions_.renew(lease);
            } else if (!stalled_said_) {
                stalled_said_ = true;
                std::cerr << "hpo-worker " << info_.id << ": " << info_.job << ": training made no progress for "
                          << format_double(stall_s_) << " s; lease no longer renewed (the master will requeue it)"
                          << std::endl;
            }
        }
        write_file_atomic(transitions_.layout().worker_file(info_.id), worker_info_to_text(info_), Durability::cached);
    } catch (const std::exception& e) {  // a full disk (or anything) must not kill training; the master judges
        std::cerr << "hpo-worker " << info_.id << ": heartbeat: " << e.what() << "\n";
    }
}

}  // namespace hposync::orchestration
