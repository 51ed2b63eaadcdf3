;; A core module exporting `handle-timer-request` (no parameters): prints "tick" to stdout.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "tick\n")
  (data (i32.const 16) "\40\00\00\00\05\00\00\00")
  (func (export "handle-timer-request")
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32))))
)
