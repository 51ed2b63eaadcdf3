;; A Spin 1.x Redis guest: prints each payload on its own line to stdout and returns ok.
;; The payload "fail" gets `err(error::error)` instead.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 64) "\n")
  (data (i32.const 72) "fail")

  (func (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $pages i32)
    (local.set $ptr
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.set $pages
      (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16))
               (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))

  (func (export "canonical_abi_free") (param i32 i32 i32))

  (func (export "handle-redis-message") (param $ptr i32) (param $len i32) (result i32)
    ;; iovecs at 16: (payload), ("\n"); bytes written at 32
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (i32.store (i32.const 24) (i32.const 64))
    (i32.store (i32.const 28) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)))
    (drop (call $fd_write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 32)))
    ;; the result record at 48: (is_err, error)
    (i32.store8 (i32.const 48) (i32.const 0))
    (i32.store8 (i32.const 49) (i32.const 0))
    (if (i32.and (i32.eq (local.get $len) (i32.const 4))
                 (i32.eq (i32.load (local.get $ptr)) (i32.load (i32.const 72))))
      (then
        (i32.store8 (i32.const 48) (i32.const 1))
        (i32.store8 (i32.const 49) (i32.const 1))))
    (i32.const 48))
)
