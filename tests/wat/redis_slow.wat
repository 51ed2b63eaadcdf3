;; A Spin 1.x Redis guest that computes for a while (a long countdown loop) and then prints the
;; payload: still running when a test sends SIGTERM right after publishing.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $ptr))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-redis-message") (param $ptr i32) (param $len i32) (result i32)
    (local $count i64)
    (local.set $count (i64.const 3000000000))
    (loop $spin
      (local.set $count (i64.sub (local.get $count) (i64.const 1)))
      (br_if $spin (i64.ne (local.get $count) (i64.const 0))))
    ;; iovec at 0: the payload; bytes written at 8; the ok result (0, 0) at 16
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 16)))
