// Which machine, which boot of it and which PID namespace this process runs in: what
// an owner identity needs when another process must decide whether that owner still
// lives (the master lock, protocol/master_lock.hpp).
#pragma once
#include <string>

namespace hposync {

// /proc/sys/kernel/random/boot_id (a new random id every boot), "" if unreadable.
std::string boot_id();

// The PID namespace of this process, readlink(/proc/self/ns/pid) ("pid:[4026531836]"),
// "" if unreadable. Two processes see each other's pids only within one namespace.
std::string pid_namespace();

// Seconds since this machine booted, suspensions included (CLOCK_BOOTTIME).
double boottime_seconds();

}  // namespace hposync
