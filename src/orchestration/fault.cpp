#include "hposync/orchestration/fault.hpp"

#include <cerrno>
#include <new>
#include <system_error>

#include "hposync/common/error.hpp"

namespace hposync::orchestration {

bool is_machine_errno(int err) {
    switch (err) {
        case EMFILE: case ENFILE: case ENOMEM: case ENOSPC: case EDQUOT: case EAGAIN: case ENOBUFS:
        case EIO: case EROFS: case ESTALE:
            return true;
        default:
            return false;
    }
}

Fault classify_fault(std::exception_ptr e, FaultPhase phase) {
    try {
        std::rethrow_exception(e);
    } catch (const IoError& x) {
        if (is_machine_errno(x.errno_value)) return {FaultKind::machine, x.what()};
        // The shared directory's I/O (a lost mount, a vanished folder) is no job's fault;
        // in training, a file the job reads (its data set) is.
        return {phase == FaultPhase::protocol ? FaultKind::machine : FaultKind::job, x.what()};
    } catch (const Error& x) {  // ParseError included: a bad model spec, bad data, a trainer's bad output
        return {phase == FaultPhase::training ? FaultKind::job : FaultKind::bug, x.what()};
    } catch (const std::bad_alloc& x) {
        // The engine turns its own allocation failures into a result (engine::train); one
        // that escapes to here is the worker's own memory running out.
        return {FaultKind::machine, std::string("out of memory (") + x.what() + ")"};
    } catch (const std::system_error& x) {  // std::thread: EAGAIN when no thread can be made
        if (x.code().category() == std::generic_category() || x.code().category() == std::system_category())
            if (is_machine_errno(x.code().value())) return {FaultKind::machine, x.what()};
        return {FaultKind::bug, x.what()};
    } catch (const std::exception& x) {
        return {FaultKind::bug, x.what()};
    } catch (...) {
        return {FaultKind::bug, "unknown exception"};
    }
}

FaultKind memory_fault_kind(const engine::MemoryLimit& limit) {
    return limit.worker_local ? FaultKind::machine : FaultKind::job;
}

const char* to_text(FaultKind kind) {
    switch (kind) {
        case FaultKind::machine: return "machine fault";
        case FaultKind::job: return "job fault";
        case FaultKind::bug: return "internal error";
    }
    return "?";
}

}  // namespace hposync::orchestration
