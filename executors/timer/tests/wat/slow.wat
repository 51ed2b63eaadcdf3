;; A timer guest slower than its interval: writes "start", sleeps 1 s (a WASI clock
;; subscription in poll_oneoff), writes "end".
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Spin 1.x guests export their allocator; a timer call passes no data, so it is never used.
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  ;; iovecs: "start\n" at 0 (text at 64), "end\n" at 8 (text at 72).
  (data (i32.const 0) "\40\00\00\00\06\00\00\00\48\00\00\00\04\00\00\00")
  (data (i32.const 64) "start\n")
  (data (i32.const 72) "end\n")
  ;; The subscription at 128 (48 bytes): tag 0 = clock at +8, clock id 1 (monotonic) at +16,
  ;; timeout in ns at +24 (1 s), relative (flags 0) at +40. The event goes to 192.
  (data (i32.const 136) "\00")
  (data (i32.const 144) "\01\00\00\00")
  (data (i32.const 152) "\00\ca\9a\3b\00\00\00\00")
  (func (export "handle-timer-request")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
    (drop (call $poll_oneoff (i32.const 128) (i32.const 192) (i32.const 1) (i32.const 40)))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 32)))))
