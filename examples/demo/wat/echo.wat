;; The demo's Redis component (Spin 1.x ABI): prints every message it is given as one line,
;; "redis: <message>", and reports success.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; Scratch: an iovec at 0, the byte count written at 8. The result record at 16 is
  ;; `expected<unit, error>` = ok (is_err 0). Texts at 32. The heap starts at 1024.
  (data (i32.const 16) "\00\00")
  (data (i32.const 32) "redis: ")
  (data (i32.const 40) "\n")
  (global $next (mut i32) (i32.const 1024))

  ;; The host copies the message in through this allocator. Each message gets a fresh
  ;; instance, so a bump allocator that never frees is enough.
  (func (export "canonical_abi_realloc")
    (param $old_ptr i32) (param $old_size i32) (param $align i32) (param $size i32)
    (result i32)
    (local $ptr i32)
    (local.set $ptr
      (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $next) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow
                (i32.add (i32.const 1)
                  (i32.shr_u (i32.sub (global.get $next) (i32.shl (memory.size) (i32.const 16)))
                             (i32.const 16)))))
          (then unreachable))))
    (local.get $ptr))
  (func (export "canonical_abi_free") (param i32 i32 i32))

  (func $print (param $ptr i32) (param $len i32)
    ;; fd_write may take only part of the bytes: write until all are out, or it fails.
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  (func (export "handle-redis-message") (param $payload i32) (param $len i32) (result i32)
    (call $print (i32.const 32) (i32.const 7))
    (call $print (local.get $payload) (local.get $len))
    (call $print (i32.const 40) (i32.const 1))
    (i32.const 16)))
