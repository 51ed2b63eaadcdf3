;; A WAGI (WASI command) guest that waits until a file named "go" exists in its first
;; preopened directory (fd 3), then answers 200 "done": a request the test keeps in flight
;; for as long as it needs.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "go")
  (data (i32.const 128) "Content-Type: text/plain\n\ndone\n")  ;; 31
  (func (export "_start")
    (loop $wait
      (br_if $wait
        (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 2)
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 32))))
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (i32.const 31))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
