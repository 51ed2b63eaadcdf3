;; A timer guest (core module): every run writes one line, "tick", to stdout.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; No `canonical_abi_realloc`: a timer call passes no data, so a bare handler is enough.
  ;; iovec at 0: the text at 16, 5 bytes; bytes written go to 8.
  (data (i32.const 0) "\10\00\00\00\05\00\00\00")
  (data (i32.const 16) "tick\n")
  (func (export "handle-timer-request")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
