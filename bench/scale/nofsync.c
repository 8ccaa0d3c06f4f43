/* LD_PRELOAD shim for one measurement only (bench/scale/run.sh, docs/SCALE.md "fsync
 * policy"): fsync and fdatasync return at once, so the same binaries run the same
 * protocol without waiting for the disk. Never for real studies. */
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
